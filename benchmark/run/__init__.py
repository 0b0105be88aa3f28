"""A suite run: data and splits, trainings and evaluations by content, launchers, collection, the run folder."""

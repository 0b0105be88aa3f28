"""Built-in network plugins, registered through the same entry point a third party uses."""

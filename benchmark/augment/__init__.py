"""Augmentation: operations on whole batches and the named policies built from them."""
from .policy import Policy, policy_from_config
from .registry import POLICIES, create_policy, list_policies, register_policy

__all__ = ["POLICIES", "Policy", "create_policy", "list_policies", "policy_from_config", "register_policy"]

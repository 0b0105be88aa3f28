"""Augmentation: operations on whole batches and the named policies built from them."""
from .config import policy_from_config
from .policy import Policy
from .registry import POLICIES, create_policy, list_policies, register_policy

__all__ = ["POLICIES", "Policy", "create_policy", "list_policies", "policy_from_config", "register_policy"]

"""REST API: temporary limits (R7) and the activation check (R8).

Reads go through limits.selectors (outsiders get 404), writes through limits.services
(read-only members get 403). Errors come back as JSON with a message per field.

limits.apis.limits     the temporary limits: list, publish, change, lift
limits.apis.activation the activation check, with its lean path for token clients
"""

from limits.apis.activation import ActivationCheckApi, verdict_conditions, verdict_limits
from limits.apis.limits import (
    LimitDetailApi,
    LimitEventOutputSerializer,
    LimitFilter,
    LimitLiftApi,
    LimitListCreateApi,
    LimitOutputSerializer,
)

__all__ = [
    "ActivationCheckApi",
    "LimitDetailApi",
    "LimitEventOutputSerializer",
    "LimitFilter",
    "LimitLiftApi",
    "LimitListCreateApi",
    "LimitOutputSerializer",
    "verdict_conditions",
    "verdict_limits",
]

"""Demo-city seed: `python -m app.seed` (run from backend/)."""

from app.seed.demo import DEMO_ENTERPRISES, DemoEnterprise
from app.seed.loader import SeedReport, loaded_state, migration_problem, seed_city

__all__ = [
    "DEMO_ENTERPRISES",
    "DemoEnterprise",
    "SeedReport",
    "loaded_state",
    "migration_problem",
    "seed_city",
]

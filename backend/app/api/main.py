from __future__ import annotations

from app.api.routes import (
    applications,
    authorizations,
    city,
    enterprises,
    events,
    evidence,
    handoffs,
    hotline,
    institutions,
    me,
    objections,
    products,
    registrations,
    repairs,
    staff,
    tickets,
)
from app.api.routing import APIRouter

# Everything here takes the service token (app/main.py mounts it with require_service_token).
api_router = APIRouter()
api_router.include_router(city.router)
api_router.include_router(me.router)
api_router.include_router(registrations.router)
api_router.include_router(registrations.dev_router)
api_router.include_router(enterprises.router)
api_router.include_router(objections.router)
api_router.include_router(repairs.router)
api_router.include_router(evidence.router)
api_router.include_router(handoffs.router)
api_router.include_router(tickets.router)
api_router.include_router(tickets.notifications_router)
api_router.include_router(authorizations.router)
api_router.include_router(applications.router)
api_router.include_router(products.router)

# Staff-facing routes take a staff token (StaffDep, app/api/deps.py) instead of the service token.
staff_api_router = APIRouter()
staff_api_router.include_router(staff.router)
staff_api_router.include_router(events.router)
staff_api_router.include_router(tickets.staff_router)
staff_api_router.include_router(hotline.router)
staff_api_router.include_router(evidence.staff_router)

# Institution-facing routes take the institution's own token (InstitutionDep) instead.
institution_api_router = APIRouter()
institution_api_router.include_router(institutions.router)

from __future__ import annotations

from fastapi import APIRouter

from app.api.routes import bindings, city, enterprises, me, products

api_router = APIRouter()
api_router.include_router(city.router)
api_router.include_router(me.router)
api_router.include_router(bindings.router)
api_router.include_router(enterprises.router)
api_router.include_router(products.router)

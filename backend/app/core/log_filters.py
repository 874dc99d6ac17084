"""Keeps personal data out of the server's access log. A request line can carry a phone number or
an ID number in its query (GET /api/v1/dev/sms-outbox?phone=…); uvicorn writes request lines as
they come, so this filter masks them (app.masking) before any handler formats the record."""

from __future__ import annotations

import logging

from app.masking import mask_text

ACCESS_LOGGER = "uvicorn.access"


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_text(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str) and not record.args:
            record.msg = mask_text(record.msg)
        return True


def mask_access_log() -> None:
    """Installs the filter on uvicorn's access logger (once, however many apps are created)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, MaskPersonalData) for existing in logger.filters):
        logger.addFilter(MaskPersonalData())

"""`/healthz`: a JSON answer that says whether the database answers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.db import db

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """Return 200 `{"status": "ok", "database": "ok"}`, or 503 when the database fails."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        return jsonify(status="error", database="unreachable", detail=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")

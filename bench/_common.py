"""What the benchmark scripts share: an app on a throw-away database, migrated and seeded with the demo data."""
from __future__ import annotations


def seeded_app(url: str):
    """The app on ``url`` (its schema migrated, the demo seed run), with fast password hashing for the seed."""
    from flask_migrate import upgrade

    from app import create_app

    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                              "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with application.app_context():
        upgrade()
        from seed.commands import run_demo_seed

        run_demo_seed()
    return application

"""The database wing: SQLAlchemy models, engine, migrations, repositories, unit of work."""

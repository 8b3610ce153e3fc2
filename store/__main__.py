"""`python -m store`: migrate the configured database (KRUISPUNT_DB_URL or the embedded file) to the newest schema."""

from store.db import database_url
from store.migrate import current_revision, upgrade

if __name__ == "__main__":
    url = database_url()
    engine = upgrade(url)
    print(f"database {engine.url.render_as_string(hide_password=True)} at schema revision {current_revision(engine)}")

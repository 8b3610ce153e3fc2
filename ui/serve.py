"""Start the app: `python -m ui.serve [streamlit options]` (what `make run` does).

Streamlit treats a `pages/` folder beside the entry script as a legacy
multipage app until the entry script has called `st.navigation` once; a deep
link such as /documents?project=… opened first would then run the page without
app.py. Kruispunt always navigates with `st.navigation`, so the launcher turns
the legacy mode off for the whole server before it starts.
"""

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parent.parent / "app.py"

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())

"""The coder's page and the JSON API behind `reviewer serve` (FastAPI, served by uvicorn).

`reviewer.web.app.create_app()` builds the app; the page and its assets are package data in
`reviewer/web/static/`. Nothing in the package imports this module except the CLI.
"""

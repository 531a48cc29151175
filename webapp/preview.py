"""What the help center adds when it serves a preview (`kb preview`): writers' lint messages.

The live site never registers this blueprint and never sets KB_PREVIEW, so none of it reaches
customers. Lint runs at request time: one file takes milliseconds, the whole tree well under a
second for a help center this size, and a writer wants the state of the file they just saved.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app

from copilot.engine import Engine
from kb.articles import Article
from kb.lint import LintMessage, lint_paths, lint_summary
from webapp import state
from webapp.help import page

bp = Blueprint("preview", __name__, url_prefix="/preview")


def preview_app(engine: Engine) -> Flask:
    from webapp import create_app

    app = create_app(engine=engine)
    app.config["KB_PREVIEW"] = True
    app.register_blueprint(bp)
    return app


def article_lint(article: Article) -> list[LintMessage] | None:
    """The lint messages of an article's file, on the preview server only (None on the live site)."""
    if not current_app.config.get("KB_PREVIEW"):
        return None
    settings = state.settings()
    return lint_paths(settings.content_dir, [settings.content_dir / article.path], settings.languages)


@bp.app_context_processor
def lint_for_templates() -> dict[str, object]:
    """Article pages call `preview_lint(article)`; it exists only where this blueprint is registered."""
    return {"preview_lint": article_lint}


@bp.get("/problems")
def problems() -> str:
    settings = state.settings()
    messages = lint_paths(settings.content_dir, None, settings.languages)
    errors, warnings = lint_summary(messages)
    ordered = sorted(messages, key=lambda m: (m.severity != "error", m.path, m.line, m.col))
    return page("preview_problems.html", settings.languages[0], messages=ordered, errors=errors, warnings=warnings)



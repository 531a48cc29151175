"""What the help center adds when it serves a preview (`kb preview`): writers' lint messages.

The live site never registers this blueprint and never sets KB_PREVIEW, so none of it reaches
customers. Lint needs the whole tree even for one file (links, ids and translations span files):
~0.2-0.4 s for the demo content, too slow for every page view. So the tree's messages are kept
and recomputed only when a file's mtime or size changes, which still shows a writer the state of
the file they just saved.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app

from copilot.engine import Engine
from kb.articles import Article
from kb.lint import LintMessage, lint_paths, lint_summary
from kb.tree_signature import content_signature
from webapp import state
from webapp.app import create_app
from webapp.help import page

bp = Blueprint("preview", __name__, url_prefix="/preview")


def preview_app(engine: Engine) -> Flask:
    app = create_app(engine=engine)
    app.config["KB_PREVIEW"] = True
    app.register_blueprint(bp)
    return app


LINT_KEY = "preview_lint"


def tree_lint() -> list[LintMessage]:
    """Every lint message of the content tree, recomputed only when the tree changed."""
    settings = state.settings()
    signature = content_signature(settings.content_dir)
    cached = current_app.extensions.get(LINT_KEY)
    if cached is None or cached[0] != signature:
        cached = (signature, lint_paths(settings.content_dir, None, settings.languages))
        current_app.extensions[LINT_KEY] = cached
    return cached[1]


def article_lint(article: Article) -> list[LintMessage] | None:
    """The lint messages of an article's file, on the preview server only (None on the live site)."""
    if not current_app.config.get("KB_PREVIEW"):
        return None
    path = (state.settings().content_dir / article.path).as_posix()
    return [message for message in tree_lint() if message.path == path]


@bp.app_context_processor
def lint_for_templates() -> dict[str, object]:
    """Article pages call `preview_lint(article)`; it exists only where this blueprint is registered."""
    return {"preview_lint": article_lint}


@bp.get("/problems")
def problems() -> str:
    settings = state.settings()
    messages = tree_lint()
    errors, warnings = lint_summary(messages)
    ordered = sorted(messages, key=lambda m: (m.severity != "error", m.path, m.line, m.col))
    return page("preview_problems.html", settings.languages[0], messages=ordered, errors=errors, warnings=warnings)



"""What telemetry registers with annotations' hooks (see annotations/hooks.py)."""

from annotations import hooks


def editor_session(*, annotation, user) -> dict | None:
    """A fresh editor session for the form: {"url": websocket path, "salt": paste-hash salt}."""
    from telemetry.services import editor_session_open

    if not annotation.task.project.telemetry_enabled or annotation.annotator_id != user.pk:
        return None
    session = editor_session_open(annotation=annotation, user=user)
    return {"url": f"/ws/telemetry/{session.id}/", "salt": session.salt}


def annotation_submitted(*, annotation, final_seq) -> None:
    from telemetry.services import editor_sessions_finish

    editor_sessions_finish(annotation=annotation, final_seq=final_seq)


def register() -> None:
    hooks.register("editor_session", editor_session)
    hooks.register("annotation_submitted", annotation_submitted)

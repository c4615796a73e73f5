from annotations import roles as role_checks


def roles(request) -> dict:
    user = request.user
    return {
        "is_project_admin": role_checks.is_project_admin(user),
        "is_reviewer": role_checks.is_reviewer(user),
        "is_annotator": role_checks.is_annotator(user),
    }

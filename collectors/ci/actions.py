"""What a CI action, task or orb command does, by its name: data, like ``ci_commands``.

GitHub Actions ``uses:``, Azure Pipelines ``task:`` and CircleCI orb commands
(``docker/build``) are matched on their name without the version, lower-cased,
and cut to ``owner/name``.
"""

from __future__ import annotations

# GitHub actions, Azure tasks and CircleCI orb commands -> kind (matched on the name before '@')
ACTIONS: dict[str, str] = {
    **dict.fromkeys(
        [
            "docker/build-push-action",
            "docker/bake-action",
            "redhat-actions/buildah-build",
            "redhat-actions/push-to-registry",
            "mr-smithers-excellent/docker-build-push",
            "elgohr/publish-docker-github-action",
            "docker/build",
            "docker/publish",
            "aws-ecr/build-and-push-image",
            "aws-ecr/build_and_push_image",
            "gcp-gcr/build-and-push-image",
        ],
        "container_build",
    ),
    **dict.fromkeys(
        ["great-expectations/great_expectations_action", "superconductive/great_expectations_action"], "data_validation"
    ),
    **dict.fromkeys(
        [
            "azure/webapps-deploy",
            "azure/k8s-deploy",
            "azure/functions-action",
            "azure/container-apps-deploy-action",
            "google-github-actions/deploy-cloudrun",
            "google-github-actions/deploy-appengine",
            "google-github-actions/deploy-cloud-functions",
            "aws-actions/amazon-ecs-deploy-task-definition",
            "aws-actions/aws-cloudformation-github-deploy",
            "deliverybot/helm",
            "kubernetes/create-or-update-resource",
            "helm/upgrade-helm-chart",
            "aws-ecs/deploy-service-update",
            "gcp-cloud-run/deploy",
            "heroku/deploy-via-git",
            "azurewebapp",
            "azurewebappcontainer",
            "azurermwebappdeployment",
            "azurefunctionapp",
            "azurecontainerapps",
            "helmdeploy",
            "kubernetes",
        ],
        "deployment",
    ),
    **dict.fromkeys(
        [
            "astral-sh/ruff-action",
            "chartboost/ruff-action",
            "psf/black",
            "py-actions/flake8",
            "pre-commit/action",
            "github/super-linter",
            "super-linter/super-linter",
            "wearerequired/lint-action",
            "ricardochaves/python-lint",
            "python/lint",
        ],
        "lint",
    ),
    **dict.fromkeys(["jakebailey/pyright-action"], "type_checks"),
    **dict.fromkeys(["python/test"], "tests"),
}
RESULT_PUBLISHERS = {
    "mikepenz/action-junit-report",
    "dorny/test-reporter",
    "enricomi/publish-unit-test-result-action",
    "publishtestresults",
    "store_test_results",
    "junit",
}


def kinds_of_action(action: str) -> set[str]:
    """Kinds of work an action, task or orb command does, by its name without the version."""
    name = action.split("@", 1)[0].strip().lower()
    if name.startswith(("./", "docker://")):
        return set()
    name = "/".join(name.split("/")[:2])
    kind = ACTIONS.get(name)
    return {kind} if kind else set()


def publishes_results(action: str) -> bool:
    name = "/".join(action.split("@", 1)[0].strip().lower().split("/")[:2])
    return name in RESULT_PUBLISHERS

from rest_framework.routers import Route, SimpleRouter


class TaskRouter(SimpleRouter):
    """
    SimpleRouter, with the list's bulk routes: ``PATCH`` marks tasks completed
    or pending, ``DELETE`` clears the completed ones. Both paths answer with
    and without a trailing slash, never with a redirect.
    """

    routes = [
        Route(
            url=r"^{prefix}{trailing_slash}$",
            mapping={
                "get": "list",
                "post": "create",
                "patch": "bulk_update",
                "delete": "bulk_destroy",
            },
            name="{basename}-list",
            detail=False,
            initkwargs={"suffix": "List"},
        ),
        *SimpleRouter.routes[1:],
    ]

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"

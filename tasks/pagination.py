"""
Paging of the task list that keeps the body a plain JSON array: the number of
matches goes in ``X-Total-Count``, the neighbouring pages in an RFC 8288
``Link`` header that keeps the other query parameters.
"""


def paging_headers(request, *, total: int, offset: int, limit: int | None) -> dict[str, str]:
    headers = {"X-Total-Count": str(total)}
    links = []
    if limit is not None and offset + limit < total:
        links.append(page_link(request, "next", offset=offset + limit, limit=limit))
    if offset > 0:
        # Without a limit, the previous page is everything that was skipped.
        size = limit if limit is not None else offset
        links.append(page_link(request, "prev", offset=max(offset - size, 0), limit=size))
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def page_link(request, rel: str, *, offset: int, limit: int) -> str:
    params = request.query_params.copy()
    params["offset"] = str(offset)
    params["limit"] = str(limit)
    url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return f'<{url}>; rel="{rel}"'

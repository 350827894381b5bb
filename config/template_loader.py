"""Django's cached template loader, with each loaded template's node lists remembering their search by type.

A page that `{% extends %}` base.html asks, on every render, for all the `{% block %}` nodes of base.html, and
Django walks base.html's whole node tree to find them (`NodeList.get_nodes_by_type`). A loaded template never
changes while it is cached, so the answer is the same each time: this loader lets each node list keep it. When
templates are reloaded (the development server's autoreloader resets the cache), the new templates start afresh.
"""

from __future__ import annotations

from typing import Any

from django.template import Template
from django.template.base import Node, NodeList
from django.template.loaders import cached


class RememberingNodeList(NodeList):
    """A NodeList whose get_nodes_by_type is worked out once per node type."""

    def get_nodes_by_type(self, nodetype: type[Node]) -> list[Node]:
        found: dict[type[Node], list[Node]] = self.__dict__.setdefault("_by_type", {})
        nodes = found.get(nodetype)
        if nodes is None:
            nodes = found[nodetype] = super().get_nodes_by_type(nodetype)
        return list(nodes)


class Loader(cached.Loader):
    def get_template(self, template_name: str, skip: list[Any] | None = None) -> Template:
        template = super().get_template(template_name, skip)
        if not isinstance(template.nodelist, RememberingNodeList):
            remembering = RememberingNodeList(template.nodelist)
            remembering.contains_nontext = template.nodelist.contains_nontext
            template.nodelist = remembering
        return template

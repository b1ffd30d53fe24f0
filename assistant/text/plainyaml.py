"""YAML without surprises, for guides and the settings file alike.

Both are small files written by hand, so the YAML is only *composed* (turned into a node
tree, which keeps line numbers) by a SafeLoader that refuses anchors and aliases outright --
an alias saves nothing there, while any alias budget is one more thing to get right against
"billion laughs" files -- and refuses nesting deeper than the caller allows (PyYAML
composes recursively, so a deep enough file would overflow the stack). Every tag outside
plain data is noted, so the caller refuses it before anything is built from the tree.
"""

from __future__ import annotations

import yaml
from yaml.events import AliasEvent
from yaml.nodes import Node

CORE = "tag:yaml.org,2002:"
PLAIN_TAGS = {CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq",
                                 "map", "merge")}
NULL, INT, FLOAT = CORE + "null", CORE + "int", CORE + "float"


class Refused(Exception):
    """An anchor or alias at `mark` -- or, when `too_deep`, nesting past the limit there."""

    def __init__(self, mark: yaml.Mark, too_deep: bool = False) -> None:
        super().__init__()
        self.mark, self.too_deep = mark, too_deep


class Loader(yaml.SafeLoader):
    """Composes without expanding anything; notes every tag outside plain data in
    `bad_tags` as (node, tag written the short way, `!!binary`)."""

    def __init__(self, text: str, max_depth: int) -> None:
        super().__init__(text)
        self.max_depth = max_depth
        self.depth = 0
        self.bad_tags: list[tuple[Node, str]] = []

    def compose_node(self, parent: Node | None, index: object) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
            raise Refused(event.start_mark)
        if self.depth >= self.max_depth:
            raise Refused(event.start_mark, too_deep=True)
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if node.tag not in PLAIN_TAGS:
            self.bad_tags.append((node, node.tag.replace(CORE, "!!")))
        return node


def compose(text: str, max_depth: int) -> tuple[Node | None, Loader]:
    """The document's node tree (None for an empty one) and its loader, which still builds
    Python values from nodes once the caller has checked them. Raises Refused, or a
    yaml.YAMLError for text that is not YAML (the reader already refuses unprintable
    characters when the loader is made)."""
    loader = Loader(text, max_depth)
    try:
        return loader.get_single_node(), loader
    finally:
        loader.dispose()

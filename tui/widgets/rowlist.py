"""`RowList`: a table drawn with Textual's line API.

A DataTable keeps a row object per line and re-lays out as it grows; adding one row per captured
call is what dragged a proxy from ~580 to ~38 requests/s (SPEC §2). Here a subclass only says how
many rows there are and what the cells of row `i` are; `render_line` formats the rows that are on
screen and nothing else, so a timeline of 100k calls costs what a screenful costs, and new rows
cost nothing until they are scrolled into view.

The first line is the column header and never scrolls. Rows are read under the tracker's lock,
since the proxy thread appends to the same lists. A drawn row is kept (by a key that says what it
shows) so a redraw that only moves the cursor or scrolls formats no row twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence
from typing import ClassVar, ContextManager

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Column = tuple[str, int, str]  # heading, width (0 = a share of the rest; -n = n shares), justify
MIN_FLEX = 10


def column_widths(columns: Sequence[Column], width: int) -> list[int]:
    """Fixed columns keep their width; flexible ones share what is left by their shares (each
    at least MIN_FLEX): a timeline's event name with its "+14 pings" needs more than the state."""
    fixed = sum(w for _, w, _ in columns if w > 0) + max(len(columns) - 1, 0)
    shares = [(-w or 1) if w <= 0 else 0 for _, w, _ in columns]
    total = sum(shares) or 1
    room = max(width - fixed, 0)
    widths = [room * n // total for n in shares]
    extra = room - sum(widths)  # what rounding left, one cell each from the left
    for i, (_, w, _) in enumerate(columns):
        if w > 0:
            widths[i] = w
        else:
            widths[i] = max(MIN_FLEX, widths[i] + (1 if extra > 0 else 0))
            extra -= 1
    return widths


def _fit(text: str, width: int, justify: str) -> str:
    """`text` in exactly `width` cells: cut with an ellipsis, or padded."""
    size = cell_len(text)
    if size > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = " " * (width - size)
    return pad + text if justify == "right" else text + pad


def _cell_segments(cell: Text, width: int, justify: str, console: Console) -> list[Segment]:
    if not cell.spans:  # one style: string work only, the common case
        style = cell.style if isinstance(cell.style, Style) else Style.parse(cell.style or "")
        return [Segment(_fit(cell.plain, width, justify), style)]
    cell = cell.copy()
    cell.overflow = "ellipsis"
    cell.align(justify, width)  # type: ignore[arg-type]
    return list(cell.render(console))


def row_segments(cells: Sequence[Text], columns: Sequence[Column], width: int,
                 console: Console) -> list[Segment]:
    """Cells cut or padded to their columns, one space apart, exactly `width` cells in all."""
    segments: list[Segment] = []
    space = Segment(" ")
    for i, (cell, w, (_, _, justify)) in enumerate(zip(cells, column_widths(columns, width), columns)):
        if i:
            segments.append(space)
        segments += _cell_segments(cell, w, justify, console)
    return list(Segment.adjust_line_length(segments, width))


class RowList(ScrollView, can_focus=True):
    """Rows with a cursor; subclasses provide `COLUMNS`, `cells(i)` and what a move means."""

    COLUMNS: ClassVar[tuple[Column, ...]] = ()

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "rowlist--header",
        "rowlist--header-focused",
        "rowlist--cursor",
        "rowlist--cursor-blurred",
    }

    DEFAULT_CSS = """
    RowList {
        overflow-x: hidden;
        overflow-y: scroll;  /* always there: a scrollbar coming or going re-lays out the screen */
    }
    """

    cursor: reactive[int] = reactive(0, repaint=False, init=False)

    def __init__(self, *, lock: ContextManager | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lock = lock if lock is not None else contextlib.nullcontext()
        self._count = 0
        self._base = Style()
        self._cursor_style = Style()
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        self._shown_keys: tuple | None = None  # the rows on screen at the last set_row_count

    # -- what subclasses provide -----------------------------------------------------------

    def cells(self, index: int) -> Sequence[Text]:
        raise NotImplementedError

    def row_key(self, index: int) -> Hashable | None:
        """What row `index` shows, as a key its drawing is kept under (None: draw every time)."""
        return None

    def highlighted(self, index: int) -> None:
        """The cursor moved to row `index` (also called when the rows under it changed).

        Subclasses post their messages to the app directly: bubbling costs a turn of the event
        loop per parent, which would show a session switch over two frames instead of one."""

    def selected(self, index: int) -> None:
        """Enter (or a double click) on row `index`."""

    # -- rows ------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return self._count

    @property
    def page_rows(self) -> int:
        """Rows visible at once (the header takes one line)."""
        return max(1, self.scrollable_content_region.height - 1)

    def set_row_count(self, count: int, cursor: int | None = None) -> None:
        """The rows changed: resize the virtual canvas, place the cursor, and redraw the rows
        on screen that now show something else (moving the cursor or scrolling redraws itself).
        A list that grows off screen, the usual case under traffic, costs no drawing at all."""
        self._count = count
        self._set_virtual_size(Size(self.scrollable_content_region.width, count + 1))
        target = self.cursor if cursor is None else cursor
        target = max(0, min(target, count - 1)) if count else 0
        if target != self.cursor:
            self.cursor = target
        else:
            self._scroll_to_cursor()
        self.repaint_changed()

    def repaint_changed(self) -> None:
        """Redraw the rows on screen whose key changed since the last call: the busy session's
        row, not the whole table (a frame costs what it draws). After a scroll every row moved,
        and rows without a key are always redrawn."""
        shown, before = self._visible_keys(), self._shown_keys
        self._shown_keys = shown
        if shown == before:
            return
        if shown is None or before is None or shown[:2] != before[:2]:
            self.refresh()
            return
        top, _, keys = shown
        old = before[2]
        for i in range(max(len(keys), len(old))):
            if i >= len(keys) or i >= len(old) or keys[i] != old[i]:
                self.refresh_line(top + i + 1)

    def _set_virtual_size(self, size: Size) -> None:
        """Resize the scrollable canvas without laying out the screen.

        Assigning `virtual_size` asks Textual for a layout of the whole screen (20-100 ms a
        time under 200 calls/s, measured), and a list that grows by a row would pay it on every
        redraw. A list's rows never change its own size or anyone else's, so the size is set
        quietly and the scrollbars are brought up to date; should one appear or vanish,
        Textual's scrollbar flags ask for the layout that then really is needed."""
        if size != self.virtual_size:
            self.set_reactive(RowList.virtual_size, size)
            self._scroll_update(size)

    def _visible_keys(self) -> tuple | None:
        """The first row on screen, how many fit, and their keys (None when a row has no key:
        always redraw)."""
        top, page = round(self.scroll_y), self.page_rows
        keys = []
        for index in range(top, min(top + page, self._count)):
            key = self.row_key(index)
            if key is None:
                return None
            keys.append(key)
        return top, page, tuple(keys)

    # -- cursor ----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        top = round(self.scroll_y)
        self._scroll_to_cursor()
        if round(self.scroll_y) == top:  # not scrolled: only the two rows change
            self.refresh_line(old + 1)
            self.refresh_line(new + 1)
        else:
            self.refresh()
        if self._count:
            self.highlighted(new)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True)
        elif self.cursor >= top + self.page_rows:
            self.scroll_to(y=self.cursor - self.page_rows + 1, animate=False, force=True)

    def move_cursor(self, index: int) -> None:
        if self._count:
            self.cursor = max(0, min(index, self._count - 1))

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * self.page_rows)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self._count - 1)

    def action_select(self) -> None:
        if self._count:
            self.selected(self.cursor)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = round(self.scroll_y) + offset.y - 1
        if 0 <= index < self._count:
            self.focus()
            self.move_cursor(index)
            if event.chain >= 2:
                self.selected(index)

    def _on_focus(self, event: events.Focus) -> None:
        """Textual's own handler (Widget._on_focus) repaints the whole widget: a tab then cost
        two lists redrawn whole (~10 ms of a frame at 160x48). Only the header and the cursor
        row say where the focus is, and no style of the list depends on `:focus` (the header's
        focused look is a component class of its own), so those two lines are all that change."""
        event.prevent_default()  # not Widget._on_focus; what it does but the repaint is here
        self.has_focus = True
        self._refresh_focus_lines()
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def watch_has_focus(self, has_focus: bool) -> None:
        """Not Widget's: that restyles the list and its scrollbars from the stylesheet on every
        focus change, and Textual then sets every rule again (its rule maps compare unequal
        with nothing changed), which repaints both scrollbars in a frame of their own (~2.5 ms
        of CPU, and a tab answered a frame later). The stylesheet gives a RowList no `:focus`
        style (dashboard.tcss): what the focus changes is drawn by `render_line`."""

    def _on_blur(self, event: events.Blur) -> None:
        event.prevent_default()
        self.has_focus = False
        self._refresh_focus_lines()
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))

    def _refresh_focus_lines(self) -> None:
        """Focus restyles the header and the cursor row; nothing else changes."""
        self.refresh(Region(0, 0, self.size.width, 1))
        self.refresh_line(self.cursor + 1)

    # -- drawing ---------------------------------------------------------------------------

    def on_resize(self) -> None:
        self._shown_keys = None  # a resize redraws every line
        self._set_virtual_size(Size(self.scrollable_content_region.width, self._count + 1))
        self._scroll_to_cursor()

    def render_lines(self, crop: Region) -> list[Strip]:
        # Styles are looked up once per batch of lines, not once per line (a DOM walk each).
        self._base = self.rich_style
        self._cursor_style = self.get_component_rich_style(
            "rowlist--cursor" if self.has_focus else "rowlist--cursor-blurred")
        with self.lock:
            return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._base
        console = self.app.console
        if y == 0:
            header = row_segments([Text(h) for h, _, _ in self.COLUMNS], self.COLUMNS, width, console)
            header_style = self.get_component_rich_style(
                "rowlist--header-focused" if self.has_focus else "rowlist--header")
            return self._strip(header, base + header_style, None, width)
        index = round(self.scroll_y) + y - 1
        if index >= self._count:
            return Strip.blank(width, base)
        key = self.row_key(index)
        if key is not None:  # the styles are part of the key: a theme change misses the cache
            key = (key, width, self._cursor_style if index == self.cursor else None, base)
            strip = self._strips.get(key)
            if strip is not None:
                return strip
        segments = row_segments(self.cells(index), self.COLUMNS, width, console)
        strip = self._strip(segments, base, self._cursor_style if index == self.cursor else None, width)
        if key is not None:
            self._strips.set(key, strip)
        return strip

    @staticmethod
    def _strip(segments: list[Segment], base: Style, over: Style | None, width: int) -> Strip:
        """The widget's style under the cells' own, the cursor's over them."""
        return Strip(Segment.apply_style(segments, base, over), width)

from typing import Any

from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "お知らせ"

    def ready(self) -> None:
        # Registers the system check for what WeasyPrint needs to print Japanese letters.
        from notices import checks  # noqa: F401

    def resident_sections(self, resident: Any) -> list[dict[str, Any]]:
        """The letters sent to the resident, for the resident page of the certificates app."""
        letters = resident.notice_letters.select_related("batch", "invitation").order_by("-batch__month")[:50]
        return [{"template": "notices/resident_section.html", "letters": list(letters)}]

from werkzeug.routing import BaseConverter, Map


class RegexConverter(BaseConverter):
    def __init__(self, url_map: Map, pattern: str) -> None:
        super().__init__(url_map)
        self.regex = pattern

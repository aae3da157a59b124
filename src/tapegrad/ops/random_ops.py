"""(being written for issue 3)"""

__all__: list[str] = []

# this file is only here so mypy can see it as a module and allow custom rules

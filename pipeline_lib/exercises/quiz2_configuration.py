"""Notebook 07's questions on layer 2, configuration: descriptors and rules across fields."""

from __future__ import annotations

from .quizformat import Question, multipleChoice

__all__ = ["QUESTIONS"]

QUESTIONS: tuple[Question, ...] = (
    multipleChoice(
        "configuration",
        "predict the output",
        "Slide 6's descriptor (its __set__ left out: it plays no part here); the field was "
        "never assigned. What is printed?",
        """
class PositiveFloat:
    def __set_name__(self, owner, name):
        self._name = f"_{name}"

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return getattr(obj, self._name, None)

class Config:
    rate = PositiveFloat()

print(Config().rate, type(Config.rate).__name__)
""",
        (
            "None PositiveFloat",
            True,
            "getattr's default None hides the missing value, and class access returns the "
            "descriptor itself. The engine raises AttributeError for an unset field instead.",
        ),
        (
            "AttributeError",
            False,
            "The slide's getattr(obj, self._name, None) returns None rather than raising.",
        ),
        (
            "None NoneType",
            False,
            "Config.rate is class access (obj is None), which returns the descriptor.",
        ),
        revisit=[("03", "The descriptor protocol, one method at a time (slide 6)")],
    ),
    multipleChoice(
        "configuration",
        "predict the output",
        "A descriptor with only __get__, and an instance attribute of the same name:",
        """
class Loud:
    def __get__(self, obj, objtype=None):
        return "from descriptor"

class C:
    x = Loud()

c = C()
c.__dict__["x"] = "from instance"
print(c.x)
""",
        (
            "from descriptor",
            False,
            "That would be true of a data descriptor (one with __set__ or __delete__).",
        ),
        (
            "from instance",
            True,
            "Loud is a non-data descriptor: the instance's __dict__ wins. A validator must be a "
            "data descriptor so that every assignment reaches its __set__.",
        ),
        ("AttributeError", False, "The attribute exists twice; the question is which one wins."),
        revisit=[("03", "The descriptor protocol, one method at a time (slide 6)")],
    ),
    multipleChoice(
        "configuration",
        "spot the bug",
        "What happens at config.rate = 2.0?",
        """
class PositiveFloat:
    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        return getattr(obj, self.name)

    def __set__(self, obj, value):
        if value <= 0:
            raise ValueError(f"{self.name} must be > 0")
        setattr(obj, self.name, value)

class Config:
    rate = PositiveFloat()

config = Config()
""",
        (
            "RecursionError: setattr under the same name calls __set__ again",
            True,
            "The descriptor intercepts its own store. Slide 12: store the value under _name.",
        ),
        (
            "It works: 2.0 is stored",
            False,
            "setattr(obj, 'rate', ...) goes through the class's data descriptor, again and again.",
        ),
        (
            "ValueError, because 2.0 <= 0 is checked wrongly",
            False,
            "The check is right; the store is the problem.",
        ),
        revisit=[("03", "The descriptor protocol, one method at a time (slide 6)")],
    ),
    multipleChoice(
        "configuration",
        "choose the pattern",
        "PipelineConfig(100.0, 10, filterMin=90.0, filterMax=10.0): inverted bounds, each "
        "value positive. Where should this be refused?",
        "",
        (
            "In each field's PositiveFloat",
            False,
            "Each value is fine on its own: a single-field validator cannot see the other field.",
        ),
        (
            "In a rule across fields, at construction and at every later assignment",
            True,
            "The error is raised at the boundary, naming both fields; the engine's PipelineConfig "
            "does this.",
        ),
        (
            "In ThresholdFilter.process, when the first reading arrives",
            False,
            "That is slide 5's distant crash: far from the cause, three stages downstream.",
        ),
        revisit=[("03", "The engine's version")],
    ),
)

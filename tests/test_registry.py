"""The generic Registry: registration, lookup messages, argument prefixes."""

import pytest

from causalpref.errors import ConfigError, UnknownNameError
from causalpref.registry import Registry


def test_register_get_and_order():
    reg = Registry("widget")
    reg.register("b", 2)

    @reg.register("a")
    def make_a():
        return 1

    assert reg.get("a") is make_a and reg.get("b") == 2
    assert reg.names() == ["b", "a"] and reg.listing() == ["a", "b"]
    assert "a" in reg and len(reg) == 2 and list(reg) == ["b", "a"]


def test_unknown_name_lists_options_and_suggests():
    reg = Registry("widget")
    reg.register("hashing", 1)
    with pytest.raises(UnknownNameError, match=r"unknown widget 'hashin'.*did you mean 'hashing'"):
        reg.get("hashin")


def test_duplicate_needs_replace():
    reg = Registry("widget")
    reg.register("x", 1)
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("x", 2)
    reg.register("x", 2, replace=True)
    assert reg.get("x") == 2


def test_argument_prefixes():
    reg = Registry("encoder", argument_hint="<path>")
    reg.register("hf", object(), argument=True)
    reg.register("hashing", object())
    assert reg.split("hf:/m") == ("hf", "/m")
    assert reg.split("hashing") == ("hashing", None)
    assert "hf:<path>" in reg.listing()
    with pytest.raises(ConfigError, match="needs an argument"):
        reg.split("hf")
    with pytest.raises(ConfigError, match="takes no"):
        reg.split("hashing:x")
    with pytest.raises(UnknownNameError):
        reg.split("nope:x")


@pytest.mark.parametrize("bad", ["", "a:b", None])
def test_bad_names_refused(bad):
    with pytest.raises(ConfigError):
        Registry("widget").register(bad, 1)

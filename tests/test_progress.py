"""The one progress display: tqdm on stderr when enabled, silent otherwise, same items."""

from causalpref.progress import SilentBar, progress_bar, track


def test_disabled_or_empty_work_shows_nothing(capsys):
    assert isinstance(progress_bar(total=5, desc="x", enabled=False), SilentBar)
    assert isinstance(progress_bar(total=0, desc="x"), SilentBar)
    with progress_bar(total=5, desc="x", enabled=False) as bar:
        bar.update(5)
    assert list(track(range(3), desc="quiet", enabled=False)) == [0, 1, 2]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_enabled_bar_counts_on_stderr_only(capsys):
    assert list(track(["a", "b"], desc="letters", unit="letter")) == ["a", "b"]
    with progress_bar(total=4, initial=1, desc="resumed", unit="task") as bar:
        bar.update(3)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "letters" in captured.err and "2/2" in captured.err
    assert "resumed" in captured.err and "4/4" in captured.err

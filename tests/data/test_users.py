"""join_users: user covariates from a users table, every problem at once."""

from __future__ import annotations

import pytest

from causalpref.data import PreferenceData
from causalpref.data.users import join_users
from causalpref.errors import ConfigError, DataValidationError
from tests.data.layouts.helpers import (
    read_trl,
)


# -- users ----------------------------------------------------------------------------------
def user_pairs() -> PreferenceData:
    return read_trl(
        [
            {"prompt": "p", "chosen": f"a{i}", "rejected": "b", "user_id": u}
            for i, u in enumerate(["u1", "u2", "u1", None])
        ]
    )


def test_join_users_adds_prefixed_covariates(tmp_path):
    users = [{"user_id": "u1", "age": 30, "country": "NZ"}, {"user_id": "u2", "age": 41}]
    joined = join_users(user_pairs(), users)
    assert joined.table["user.age"].to_pylist() == [30, 41, 30, None]
    assert joined.table["user.country"].to_pylist() == ["NZ", None, "NZ", None]
    path = tmp_path / "users.csv"
    path.write_text("user_id,age\nu1,30\nu2,41\n")
    from_file = join_users(user_pairs(), path, prefix="u_")
    assert from_file.table["u_age"].to_pylist() == [30, 41, 30, None]


def test_join_users_reports_missing_and_duplicate_users_together():
    users = [{"user_id": "u1", "age": 1}, {"user_id": "u1", "age": 2}, {"age": 3}]
    with pytest.raises(DataValidationError) as info:
        join_users(user_pairs(), users)
    text = str(info.value)
    assert "duplicate user ids in the users table (e.g. 'u1')" in text
    assert "missing in these rows of the users table (rows 2)" in text
    assert "missing from the users table (e.g. 'u2')" in text and "(rows 1)" in text


def test_join_users_needs_the_key_column():
    with pytest.raises(ConfigError, match="no column 'person'"):
        join_users(user_pairs(), [{"person": "u1"}], on="person")

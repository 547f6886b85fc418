"""The ICS config: wrong options are errors that name the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import config
from engine.errors import ConfigError

PROVIDER = '[[providers]]\ncode = "ZZA"\nname = "A"\ntype = "acute"\n'


def parse(text: str) -> config.IcsConfig:
    return config.parse(text, source="ics.toml", base_dir=Path("/ics"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "providers: required but missing"),
        (PROVIDER + "[store]\nmemory_limt = '1GB'\n", "store.memory_limt: unknown option; allowed: path, memory_limit"),
        (PROVIDER.replace("acute", "hospital"), "providers[1].type: 'hospital' is not allowed; allowed: 'acute'"),
        (PROVIDER + PROVIDER, "provider ZZA is listed twice"),
        (PROVIDER + "[[extracts]]\npattern = '*'\nsetting = 'ip'\n", "extracts[1].setting: 'ip' is not allowed"),
        (PROVIDER + "[[extracts]]\npattern = '*'\nsetting = 'apc'\nmapping = 'x'\n", "there is no [mappings.x]"),
        (PROVIDER + "[mappings.x]\nhrg_code = 'HRG'\n", "'hrg_code', which is not a canonical column"),
        (PROVIDER + "[[extracts]]\npattern = '*'\nsetting = 'op'\nlayout = 'wide'\n", "needs cost_columns"),
        (
            PROVIDER + "[[extracts]]\npattern='*'\nsetting='op'\nlayout='wide'\ncost_columns={A='wards'}\n",
            "maps to 'wards'; allowed cost drivers: ward, theatre",
        ),
        (PROVIDER + "[store\n", "not valid TOML"),
        (PROVIDER.replace("ZZA", "not a code"), "providers[1].code: 'not a code' does not have the expected form"),
    ],
)
def test_wrong_options_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse(text)
    assert str(error.value).startswith("ics.toml: ")
    assert message in str(error.value)


def test_the_template_loads_and_its_seed_pattern_captures_provider_year_and_period() -> None:
    template = Path(config.__file__).parent / "templates" / "ics.toml"
    loaded = config.load(template)
    spec, captured = loaded.extract_for(Path("ICS_Benchmarking_IP_RXL_202324_NCC_07.csv"))
    assert (spec.setting, spec.mapping) == ("apc", "seed")
    assert captured == {"org": "RXL", "year": "202324", "period": "07"}


def test_store_path_is_relative_to_the_config_file() -> None:
    assert parse(PROVIDER).store_path == Path("/ics/icsbench.duckdb")


def test_the_pseudonym_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = parse(PROVIDER + "[pseudonymisation]\nkey_env = 'MY_ICS_KEY'\n")
    monkeypatch.delenv("MY_ICS_KEY", raising=False)
    assert loaded.pseudonym_key() is None
    monkeypatch.setenv("MY_ICS_KEY", "secret")
    assert loaded.pseudonym_key() == b"secret"

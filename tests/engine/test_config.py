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


HIP = '[[pathways]]\nname = "hip"\nlabel = "Hip"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PROVIDER + '[population]\ndistricts = ["Blackpol"]\n', "'Blackpol' is not a local authority district"),
        (PROVIDER + '[population]\ndistricts = ["Blackpol"]\n', "did you mean 'Blackpool'"),
        (
            PROVIDER + '[population]\ndistricts = ["Fylde"]\n[[population.places]]\nname = "P"\ndistricts = ["Wyre"]\n',
            "places name districts not in [population] districts: Wyre",
        ),
        (PROVIDER + "[population]\nscale = 0\n", "population.scale"),
        (PROVIDER + '[[long_term_conditions]]\nname = "x"\nlabel = "X"\n', "needs diagnoses = [...]"),
        (PROVIDER + '[[long_term_conditions]]\nname = "Heart Failure"\nlabel = "X"\ndiagnoses = ["I50"]\n', "name"),
        (PROVIDER + HIP + 'index = { settings = ["op"] }\n', 'index settings must be ["apc"]'),
        (PROVIDER + HIP + 'index = { settings = ["apc"], pods = ["OPFU"] }\n', "POD 'OPFU' is not a POD of apc"),
        (
            PROVIDER + HIP + 'index = { settings = ["apc"] }\nsteps = [{ name = "a", settings = ["op"] }, '
            '{ name = "a", settings = ["chs"] }]\n',
            "step names must differ",
        ),
        (
            PROVIDER + HIP + 'index = { settings = ["apc"] }\nsteps = [{ name = "a", settings = ["op"], '
            "from_day = 10, to_day = 5 }]\n",
            "from_day 10 is after to_day 5",
        ),
        (PROVIDER + HIP + 'index = { settings = ["apc"] }\n' + HIP + 'index = { settings = ["apc"] }\n', "hip"),
    ],
)
def test_wrong_population_options_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse(text)
    assert message in str(error.value)


def test_codes_in_the_patient_view_are_matched_as_the_store_holds_them() -> None:
    parsed = parse(
        PROVIDER + HIP + 'index = { settings = ["apc"], diagnoses = ["s72.0"], pods = ["nel"] }\n'
        'steps = [{ name = "rehab", settings = ["chs"], to_day = 60 }, '
        '{ name = "during", settings = ["cc"], window = "during" }]\n'
    )
    pathway = parsed.pathways[0]
    assert pathway.index.filters() == {"pod": ["NEL"], "diagnosis": ["S720"]}
    assert pathway.follow_up_days == 60


def test_gp_list_sizes_read_our_layout_and_nhs_digitals(tmp_path: Path) -> None:
    from engine import reference

    ours = tmp_path / "ours.csv"
    ours.write_text('gp_practice,registered_patients\nP81001,"8,123"\np81002,4000\n', encoding="utf-8")
    assert reference.gp_list_sizes(ours) == {"P81001": 8123, "P81002": 4000}
    digital = tmp_path / "gp-reg-pat-prac-all.csv"
    digital.write_text(
        "PUBLICATION,EXTRACT_DATE,TYPE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\n"
        "GP_PRAC_PAT_LIST,01JAN2024,GP,P81001,PR1 1AA,ALL,ALL,9001\n"
        "GP_PRAC_PAT_LIST,01JAN2024,GP,P81001,PR1 1AA,MALE,ALL,4400\n",
        encoding="utf-8",
    )
    assert reference.gp_list_sizes(digital) == {"P81001": 9001}


def test_a_bad_list_size_names_the_file_row_and_column(tmp_path: Path) -> None:
    from engine import reference

    path = tmp_path / "lists.csv"
    path.write_text("gp_practice,registered_patients\nP81001,100\nP81002,lots\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"lists.csv, row 3, column registered_patients: 'lots' is not a number"):
        reference.gp_list_sizes(path)
    path.write_text("practice,patients\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="needs a practice column"):
        reference.gp_list_sizes(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PROVIDER + "[ics]\nlatest_year = '2023/25'\n", "'2023/25' is not a financial year"),
        (PROVIDER + "[ics]\nearliest_year = '2024/25'\nlatest_year = '2023/24'\n", "is after latest_year"),
        (PROVIDER + "[[extracts]]\npattern = '*'\nsetting = 'apc'\nnumber_format = '1 234,56'\n", "number_format"),
    ],
)
def test_years_and_number_formats_are_checked(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(text)


def test_the_latest_year_is_by_default_the_current_financial_year() -> None:
    import datetime as dt

    ics = parse(PROVIDER).ics
    assert ics.year_range(dt.date(2026, 3, 31)) == (None, "2025/26")
    assert ics.year_range(dt.date(2026, 4, 1)) == (None, "2026/27")
    set_range = parse(PROVIDER + "[ics]\nearliest_year = '2019/20'\nlatest_year = '2023/24'\n").ics
    assert set_range.year_range(dt.date(2030, 1, 1)) == ("2019/20", "2023/24")


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("utf-16-le", b""), ("utf-16-be", b"")],
)
def test_a_config_saved_as_utf8_or_utf16_reads_the_same(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = "[ics]\nname = 'Morecambe Bay – test'\n" + PROVIDER
    path = tmp_path / "ics.toml"
    path.write_bytes(bom + text.encode(encoding))
    assert config.load(path).ics.name == "Morecambe Bay – test"


@pytest.mark.parametrize("data", [bytes(range(256)) * 3, b"name = '\xff\xfe\x81'\n" + PROVIDER.encode()])
def test_a_config_that_is_not_text_says_how_to_save_it(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "ics.toml"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=r"cannot be read as text.*save it as UTF-8"):
        config.load(path)


SERVICE = '[[service_lines]]\nname = "Hips"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SERVICE, "service line 'Hips' needs at least one of hrgs, pods, tfcs or diagnoses"),
        (SERVICE + "hrgs = ['HT12']\npods = ['ATT']\n", "POD 'ATT' is not a POD of apc"),
        (SERVICE + "hrgs = ['HT12']\nsettings = ['apc', 'mh']\n", "counted in different units"),
        (SERVICE + "name2 = 1\n", "service_lines[1].name2: unknown option"),
        (
            SERVICE.replace("Hips", "Hips | knees") + "hrgs = ['HT12']\n",
            "must not start or end with spaces or hold '|'",
        ),
        (
            SERVICE + "hrgs = ['HT12']\n" + SERVICE.replace("Hips", "HIPS") + "hrgs = ['HT13']\n",
            "hips is listed more than once",
        ),
    ],
)
def test_wrong_service_lines_name_the_service_line_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse(PROVIDER + text)
    assert message in str(error.value)


def test_the_template_carries_the_starter_service_lines_with_the_seeds_hip_service_first() -> None:
    template = config.load(Path(config.__file__).parent / "templates" / "ics.toml")
    names = [s.name for s in template.service_lines]
    assert names[0] == "NEL hip procedures for trauma"
    assert {"Elective hip and knee replacement", "Stroke", "COPD", "Heart failure", "Cataract day cases"} <= set(names)
    hip = template.service_line("nel HIP procedures for trauma ")
    assert hip.filters() == {"pod": ["NEL"], "hrg": ["HT12", "HT13"]}
    with pytest.raises(ConfigError, match="no service line called 'Hip'; the service lines are: 'NEL hip"):
        template.service_line("Hip")

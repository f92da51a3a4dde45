"""Tests of the demo data generator: contract shape, determinism, planted personas."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

import shopperlens
from shopperlens import demo, schema
from shopperlens.demo._files import _Appender, _chunk_sizes
from shopperlens.demo._generate import _build, _Options
from shopperlens.errors import ConfigError

AS_OF = pd.Timestamp("2025-12-31")
LOYAL, DISCOUNT, LAPSED, APP, NEW, RETURNER = demo.PERSONA_NAMES


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate(1500, seed=3)


def _stitched(data: demo.DemoData) -> pd.DataFrame:
    """Events counted once, with anonymous-only rows resolved to their customer."""
    ev = data.tables["events"].drop_duplicates(schema.MESSAGE_ID)
    ev = ev.astype({schema.CUSTOMER_ID: "str", schema.ANONYMOUS_ID: "str"})
    ids = data.tables["identities"]
    links = ids.loc[ids[schema.ID_TYPE] == "anonymous_id"].set_index(schema.ID_VALUE)
    both = ev.dropna(subset=[schema.CUSTOMER_ID, schema.ANONYMOUS_ID])
    both = both.drop_duplicates(schema.ANONYMOUS_ID).set_index(schema.ANONYMOUS_ID)
    link = pd.concat([links[schema.CUSTOMER_ID], both[schema.CUSTOMER_ID]])
    link = link[~link.index.duplicated()]
    who = ev[schema.CUSTOMER_ID].fillna(ev[schema.ANONYMOUS_ID].map(link))
    return ev.assign(**{schema.CUSTOMER_ID: who}).dropna(subset=[schema.CUSTOMER_ID])


def _browsing(data: demo.DemoData, index: pd.Index) -> pd.DataFrame:
    ev = _stitched(data)
    s = ev.dropna(subset=[schema.SESSION_ID])
    flags = s.assign(add=s[schema.EVENT] == schema.PRODUCT_ADDED,
                     done=s[schema.EVENT] == schema.ORDER_COMPLETED)
    per = flags.groupby([schema.CUSTOMER_ID, schema.SESSION_ID],
                        observed=True)[["add", "done"]].max()
    carts = per[per["add"]].reset_index()
    count = ev.groupby([schema.CUSTOMER_ID, schema.EVENT],
                       observed=True).size().unstack(fill_value=0)
    out = pd.DataFrame({
        "sessions": s.groupby(schema.CUSTOMER_ID, observed=True)[schema.SESSION_ID].nunique(),
        "cart_abandonment": (~carts["done"]).groupby(carts[schema.CUSTOMER_ID],
                                                     observed=True).mean(),
        "email_clicks": count[schema.EMAIL_CLICKED],
    })
    return out.reindex(index).fillna(0.0)


def _features(data: demo.DemoData) -> pd.DataFrame:
    """A subset of the lead's per-customer features, computed with pandas."""
    tx = data.tables["transactions"]
    pos = tx[tx[schema.AMOUNT] > 0]
    g = pos.groupby(schema.CUSTOMER_ID, observed=True)
    orders = pos.drop_duplicates(schema.ORDER_ID)
    channel = pd.crosstab(orders[schema.CUSTOMER_ID], orders[schema.CHANNEL], normalize="index")
    refunds = tx[tx[schema.AMOUNT] < 0]
    returned = -refunds.groupby(schema.CUSTOMER_ID, observed=True)[schema.AMOUNT].sum()
    f = pd.DataFrame({
        "recency_days": (AS_OF - g[schema.TIMESTAMP].max()).dt.days,
        "tenure_days": (AS_OF - g[schema.TIMESTAMP].min()).dt.days,
        "frequency": g[schema.ORDER_ID].nunique(),
        "monetary": tx.groupby(schema.CUSTOMER_ID, observed=True)[schema.AMOUNT].sum(),
        "discount_share": g[schema.DISCOUNT].sum()
        / (g[schema.AMOUNT].sum() + g[schema.DISCOUNT].sum()),
        "return_rate": returned.reindex(g.size().index).fillna(0) / g[schema.AMOUNT].sum(),
    })
    f = f.join(channel.add_suffix("_share")).fillna(0.0)
    sup = data.tables["interactions"]
    sup = sup[sup[schema.SOURCE] == schema.SUPPORT].groupby(schema.CUSTOMER_ID,
                                                            observed=True).size()
    f["support_contacts"] = sup.reindex(f.index).fillna(0)
    f = f.join(_browsing(data, f.index))
    persona = data.personas.set_index(schema.CUSTOMER_ID)[demo.PERSONA]
    return f.assign(persona=persona.reindex(f.index))


# Contract shape -------------------------------------------------------------------------
# offers are the retailer's own list: the demo leaves it out, so a run on it shows the
# default offers of its segments
# the demo plants no campaign (demo/_campaigns.py does, for the bench) and lists no offers
DEMO_TABLES = [name for name in schema.TABLES
               if name not in (schema.OFFERS.name, schema.CAMPAIGNS.name)]


def test_tables_have_every_contract_column(data: demo.DemoData) -> None:
    assert set(data.tables) == set(DEMO_TABLES)
    for name, frame in data.tables.items():
        table = schema.TABLES[name]
        # a column also read from a JSON key (events' step, from properties.step) is
        # left out: the demo's funnel steps are its event names
        assert list(frame.columns) == [c.name for c in table.columns if c.within is None]
        for column in table.required_columns:
            assert frame[column].notna().all(), (name, column)


def test_values_are_parseable_and_in_range(data: demo.DemoData) -> None:
    t = data.tables
    for name in ("transactions", "events", "interactions"):
        stamps = t[name][schema.TIMESTAMP]
        assert stamps.min() >= AS_OF - pd.Timedelta(days=730) and stamps.max() < AS_OF
    tx = t["transactions"]
    assert (tx[schema.DISCOUNT] >= 0).all() and (tx[schema.QUANTITY] != 0).all()
    assert set(tx[schema.CHANNEL]) == {"store", "online", "app"}
    assert tx[schema.CURRENCY].eq("GBP").all()
    assert tx[schema.STORE_ID].notna().eq(tx[schema.CHANNEL] == "store").all()
    returns = tx[tx[schema.AMOUNT] < 0]
    assert returns[schema.ORDER_ID].str.startswith("R").all()
    assert set(returns[schema.PRODUCT_ID]) <= set(tx.loc[tx[schema.AMOUNT] > 0,
                                                        schema.PRODUCT_ID])
    for text in t["events"][schema.PROPERTIES].sample(500, random_state=0):
        assert isinstance(json.loads(text), dict)
    it = t["interactions"]
    reviews = it[schema.SOURCE] == schema.REVIEW
    assert it.loc[reviews, schema.RATING].between(1, 5).all()
    assert it.loc[~reviews, schema.RATING].isna().all()
    c = t["customers"]
    assert c[schema.CUSTOMER_ID].is_unique and c[schema.EMAIL].is_unique
    assert c[schema.LATITUDE].between(49, 61).all() and c[schema.LONGITUDE].between(-8, 2).all()
    assert c[schema.BIRTH_YEAR].between(1900, 2030).all()
    assert c[schema.CONSENT_PROFILING].all() and c[schema.CONSENT_MARKETING].all()
    assert set(t["identities"][schema.ID_TYPE]) == {"email", "loyalty_id", "device_id",
                                                     "anonymous_id"}


def test_texts_carry_pii_to_scrub(data: demo.DemoData) -> None:
    text = data.tables["interactions"][schema.TEXT]
    assert text.str.contains(r"[\w.]+@[\w.]+\.\w+").any()
    assert text.str.contains(r"(?:\+44 |0)7\d{3} \d{6}").any()
    assert text.str.contains(r"\+1 \(\d{3}\) 555-\d{4}").any()


# Determinism ----------------------------------------------------------------------------
def test_same_seed_same_data_and_other_seed_other_data() -> None:
    a, b, c = (demo.generate(120, seed=s) for s in (7, 7, 8))
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
        # the calendar of sales and holidays is the shop's, the same for every seed
        assert a.tables[name].equals(c.tables[name]) == (name == "calendar")
    pd.testing.assert_frame_equal(a.personas, b.personas)


def test_the_calendar_lists_the_sales_and_christmas_a_year_ahead() -> None:
    calendar = demo.generate(60, seed=0, as_of="2026-01-01").tables["calendar"]
    dates = pd.to_datetime(calendar["date"])
    assert dates.max() >= pd.Timestamp("2026-12-26") and dates.is_monotonic_increasing
    christmas = dates[calendar["kind"] == "holiday"]
    assert list(christmas.dt.strftime("%m-%d").unique()) == ["12-25"] and len(christmas) == 3
    promo = calendar[calendar["kind"] == "promotion"]
    assert promo["name"].str.startswith("black-friday-2026").any()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_files_are_byte_identical(tmp_path, fmt: str) -> None:
    first = demo.write(demo.generate(80, seed=5), tmp_path / "a", fmt=fmt)
    second = demo.write(demo.generate(80, seed=5), tmp_path / "b", fmt=fmt)
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name


# Personas -------------------------------------------------------------------------------
def test_persona_sizes(data: demo.DemoData) -> None:
    share = data.personas[demo.PERSONA].value_counts(normalize=True)
    assert set(share.index) == set(demo.PERSONA_NAMES)
    assert share.min() >= 0.06 and share.max() - share.min() > 0.05
    assert data.personas[schema.CUSTOMER_ID].equals(data.tables["customers"][schema.CUSTOMER_ID])


def test_personas_differ_as_planted(data: demo.DemoData) -> None:
    m = _features(data).groupby("persona", observed=True).median()
    others = m.drop(index=[RETURNER])
    assert m.loc[RETURNER, "return_rate"] > 0.25 > others["return_rate"].max()
    assert m.loc[RETURNER, "support_contacts"] >= 3 > others["support_contacts"].max()
    assert m.loc[LAPSED, "recency_days"] > 180 > m.loc[LOYAL, "recency_days"] + 150
    assert m.loc[LOYAL, "frequency"] >= 15 and m.loc[LOYAL, "store_share"] > 0.7
    assert m.loc[LOYAL, "monetary"] > 3 * m.drop(index=[LOYAL, LAPSED])["monetary"].max()
    assert m.loc[DISCOUNT, "discount_share"] > 0.25 > m.drop(index=[DISCOUNT])[
        "discount_share"].max()
    assert m.loc[DISCOUNT, "email_clicks"] > 3 * m.drop(index=[DISCOUNT])["email_clicks"].max()
    assert m.loc[APP, "app_share"] > 0.6 and m.loc[APP, "sessions"] >= 10
    assert m.loc[APP, "cart_abandonment"] == m["cart_abandonment"].max()
    assert m.loc[NEW, "tenure_days"] < 95 and m.loc[NEW, "frequency"] <= 2


def test_clustering_recovers_the_personas(data: demo.DemoData) -> None:
    f = _features(data)
    x = f.drop(columns="persona")
    for heavy in ("frequency", "monetary", "sessions", "email_clicks", "support_contacts"):
        x[heavy] = np.log1p(x[heavy].clip(lower=0))
    labels = KMeans(6, n_init=10, random_state=0).fit_predict(StandardScaler().fit_transform(x))
    assert adjusted_rand_score(f["persona"], labels) >= 0.9


# Events: duplicates and identity --------------------------------------------------------
def test_some_events_are_exact_duplicates(data: demo.DemoData) -> None:
    ev = data.tables["events"]
    dup_ids = ev[schema.MESSAGE_ID].duplicated(keep=False)
    assert 0.002 < ev[schema.MESSAGE_ID].duplicated().mean() < 0.01
    assert dup_ids.equals(ev.duplicated(keep=False))


def test_anonymous_events_are_linkable(data: demo.DemoData) -> None:
    ev = data.tables["events"]
    anon = ev[ev[schema.CUSTOMER_ID].isna()][schema.ANONYMOUS_ID]
    assert anon.notna().all() and len(anon) > 0.1 * len(ev[ev[schema.SESSION_ID].notna()])
    in_events = set(ev.dropna(subset=[schema.CUSTOMER_ID])[schema.ANONYMOUS_ID].dropna())
    ids = data.tables["identities"]
    in_identities = set(ids.loc[ids[schema.ID_TYPE] == "anonymous_id", schema.ID_VALUE])
    anon_ids = set(anon)
    assert anon_ids & in_events and anon_ids & in_identities
    assert not in_events & in_identities
    # The rest are visitors who never identified themselves: a minority.
    assert 0 < len(anon_ids - in_events - in_identities) < 0.3 * len(anon_ids)


# Writing --------------------------------------------------------------------------------
def test_csv_round_trip(tmp_path, data: demo.DemoData) -> None:
    paths = demo.write(data, tmp_path, fmt="csv")
    assert sorted(paths) == sorted([*DEMO_TABLES, "personas"])
    raw = pd.read_csv(paths["transactions"], dtype=str, nrows=50)
    assert raw[schema.TIMESTAMP].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d").all()
    head = paths["customers"].read_text().splitlines()[1]
    assert head.endswith(",true,true")
    for name in DEMO_TABLES:
        back = pd.read_csv(paths[name])
        frame = data.tables[name]
        assert back.shape == frame.shape
        stamps = [c for c in frame if pd.api.types.is_datetime64_any_dtype(frame[c])]
        for column in stamps:
            parsed = pd.to_datetime(back[column], format="ISO8601")
            assert (parsed.to_numpy() == frame[column].to_numpy()).all()
    personas = pd.read_csv(paths["personas"])
    assert (personas.to_numpy() == data.personas.to_numpy()).all()


def test_parquet_round_trip(tmp_path, data: demo.DemoData) -> None:
    paths = demo.write(data, tmp_path, fmt="parquet")
    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        labels = frame.select_dtypes("category").columns
        return frame.astype(dict.fromkeys(labels, "str"))

    for name in DEMO_TABLES:
        back = pd.read_parquet(paths[name])
        pd.testing.assert_frame_equal(plain(back), plain(data.tables[name]), check_dtype=False)


def test_consent_shares_and_bad_arguments(tmp_path) -> None:
    c = demo.generate(400, seed=2, consent_profiling_false_share=0.25,
                      consent_marketing_false_share=0.5).tables["customers"]
    assert 0.15 < (~c[schema.CONSENT_PROFILING]).mean() < 0.35
    assert 0.4 < (~c[schema.CONSENT_MARKETING]).mean() < 0.6
    with pytest.raises(ConfigError, match="n_customers=3"):
        demo.generate(3)
    with pytest.raises(ConfigError, match="consent_marketing_false_share=1.5"):
        demo.generate(10, consent_marketing_false_share=1.5)
    with pytest.raises(ConfigError, match="as_of='yesterday'"):
        demo.generate(10, as_of="yesterday")
    with pytest.raises(ConfigError, match="fmt='xlsx'"):
        demo.write(demo.generate(10), tmp_path, fmt="xlsx")


def _offer_rates(data: demo.DemoData) -> pd.Series:
    """Share of each customer's lines bought on discount, by born before 1965 or not."""
    tx = data.tables["transactions"]
    sales = tx[tx[schema.AMOUNT] > 0]
    share = (sales[schema.DISCOUNT] > 0).groupby(sales[schema.CUSTOMER_ID], observed=True).mean()
    born = data.tables["customers"].set_index(schema.CUSTOMER_ID)[schema.BIRTH_YEAR]
    old = born.reindex(share.index) < demo.PLANTED_BIAS_BORN_BEFORE
    return share.groupby(old, observed=True).mean()


def test_age_is_independent_of_persona_unless_a_bias_is_planted() -> None:
    fair = demo.generate(3000, seed=5)
    born = fair.tables["customers"].set_index(schema.CUSTOMER_ID)[schema.BIRTH_YEAR]
    persona = fair.personas.set_index(schema.CUSTOMER_ID)[demo.PERSONA]
    by_persona = born.groupby(persona, observed=True).mean()
    assert (by_persona - born.mean()).abs().max() < 2.0
    assert 0.08 < (born < demo.PLANTED_BIAS_BORN_BEFORE).mean() < 0.2
    rates = _offer_rates(fair)
    assert abs(rates[True] - rates[False]) < 0.03
    biased = demo.generate(3000, seed=5, planted_bias=True)
    rates = _offer_rates(biased)
    assert rates[True] < 0.3 * rates[False]
    # only the offers change: the same people, orders and everything else
    assert biased.tables["customers"].equals(fair.tables["customers"])
    cols = [c for c in fair.tables["events"].columns if c != schema.PROPERTIES]  # order values
    assert biased.tables["events"][cols].equals(fair.tables["events"][cols])
    same = ["customer_id", "order_id", "timestamp", "product_id", "quantity"]
    assert biased.tables["transactions"][same].equals(fair.tables["transactions"][same])


# Big demos, chunk by chunk --------------------------------------------------------------
CHUNKED = 280  # seven chunks of 40


@pytest.fixture(scope="module")
def chunked(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("chunked")
    paths = demo.write_large(CHUNKED, folder, seed=4, chunk=40)
    tables = {name: pd.read_parquet(paths[name]) for name in DEMO_TABLES}
    labels = {name: t.select_dtypes("category").columns for name, t in tables.items()}
    # "string" keeps missing labels missing on pandas 2 too (its "str" writes "nan")
    tables = {name: t.astype(dict.fromkeys(labels[name], "string"))
              for name, t in tables.items()}
    return {**tables, "personas": pd.read_csv(paths["personas"]), "folder": folder}


def test_chunks_share_no_id(chunked: dict) -> None:
    c = chunked["customers"]
    assert list(c[schema.CUSTOMER_ID]) == [f"C{i:07d}" for i in range(1, CHUNKED + 1)]
    assert c[schema.EMAIL].is_unique
    assert list(chunked["personas"][schema.CUSTOMER_ID]) == list(c[schema.CUSTOMER_ID])
    known = set(c[schema.CUSTOMER_ID])
    for name in ("transactions", "events", "interactions", "identities"):
        assert set(chunked[name][schema.CUSTOMER_ID].dropna()) <= known, name
    tx = chunked["transactions"]
    assert tx.groupby(schema.ORDER_ID, observed=True)[schema.CUSTOMER_ID].nunique().eq(1).all()
    ids = chunked["identities"]
    assert not ids.duplicated([schema.ID_TYPE, schema.ID_VALUE]).any()
    ev = chunked["events"].drop_duplicates()  # planted duplicates are whole-row copies
    assert ev[schema.MESSAGE_ID].is_unique
    for key in (schema.SESSION_ID, schema.ANONYMOUS_ID):
        assert ev.groupby(key, observed=True)[schema.CUSTOMER_ID].nunique().le(1).all(), key
    done = ev.loc[ev[schema.EVENT] == schema.ORDER_COMPLETED, schema.PROPERTIES]
    assert set(done.map(lambda p: json.loads(p)[schema.ORDER_ID])) <= set(tx[schema.ORDER_ID])


def test_chunks_differ_and_cover_every_persona(chunked: dict) -> None:
    personas = chunked["personas"][demo.PERSONA].to_numpy().reshape(7, 40)
    assert all(len(set(row)) == len(demo.PERSONA_NAMES) for row in personas)
    assert len({tuple(row) for row in personas}) == 7


@pytest.mark.slow  # two pipeline runs
def test_pipeline_rejects_nothing_more_from_chunks(chunked: dict, tmp_path) -> None:
    demo.write(demo.generate(CHUNKED, seed=4), tmp_path, fmt="parquet")
    whole, parts = (shopperlens.run(f, None, report=False).quality
                    for f in (tmp_path, chunked["folder"]))

    def reasons(quality: dict) -> set[tuple[str, str]]:
        return {(t, re.sub(r"'[^']*'", "'?'", why)) for t, q in quality.items()
                for why in q.rejected_by_reason}

    assert reasons(parts) <= reasons(whole)
    assert parts["customers"].rows_kept == CHUNKED
    events = parts["events"]
    assert events.duplicates / events.rows_read < 0.01  # the planted ~0.5%


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_large_up_to_one_chunk_is_write(tmp_path, fmt: str) -> None:
    large = demo.write_large(80, tmp_path / "a", seed=5, chunk=80, fmt=fmt, planted_bias=True)
    small = demo.write(demo.generate(80, seed=5, planted_bias=True), tmp_path / "b", fmt=fmt)
    assert sorted(large) == sorted(small)
    for name, path in small.items():
        assert large[name].read_bytes() == path.read_bytes(), name


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_appended_chunk_holds_what_write_writes(tmp_path, fmt: str) -> None:
    options = _Options("2025-12-31", (0.1, 0.0), False)
    part = _build(120, np.random.SeedSequence(6), options)
    with _Appender(tmp_path / "a", fmt) as out:
        out.append({**part.tables, "personas": part.personas})
    data = demo.generate(120, seed=6, consent_profiling_false_share=0.1)
    written = demo.write(data, tmp_path / "b", fmt=fmt)
    for name, path in written.items():
        read = pd.read_parquet if path.suffix == ".parquet" else pd.read_csv
        back, expected = read(out.paths[name]), read(path)
        if fmt == "csv":
            assert out.paths[name].read_bytes() == path.read_bytes(), name
        pd.testing.assert_frame_equal(back, expected, check_dtype=False,
                                      check_categorical=False)


def test_write_large_is_reproducible_and_checks_arguments(tmp_path) -> None:
    first = demo.write_large(50, tmp_path / "a", seed=1, chunk=20, fmt="csv")
    second = demo.write_large(50, tmp_path / "b", seed=1, chunk=20, fmt="csv")
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name
    assert len(pd.read_csv(first["customers"])) == 50
    with pytest.raises(ConfigError, match="chunk=6 must be an integer of at least 12"):
        demo.write_large(50, tmp_path, chunk=6)
    with pytest.raises(ConfigError, match="fmt='xlsx'"):
        demo.write_large(50, tmp_path, chunk=20, fmt="xlsx")
    with pytest.raises(ConfigError, match="n_customers=3"):
        demo.write_large(3, tmp_path)
    assert _chunk_sizes(1_000_001, 500_000) == [333_334, 333_334, 333_333]

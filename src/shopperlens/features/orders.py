"""Order features: RFM, tenure, order value, inter-purchase time, trend, discounts,
returns, basket size, category mix and channel mix.

Written once as SQL in a portable subset (numeric day columns, standard aggregates and
window functions), so DuckDB and Spark run the same text. An order's value is the sum of its
lines; an order whose value is not positive is a return, not a purchase.

>>> "frequency" in orders_sql(as_of_days=20000.0, columns={"customer_id"})
True
"""

from __future__ import annotations

from shopperlens import schema as s

TREND_WINDOW_DAYS = 182.5  # spend trend compares the last half-year with the one before
# Money closer to zero than this is zero. Float sums of lines that cancel (a purchase and
# its refund) leave noise like 3e-15 whose sign depends on the order rows are added in,
# which differs between engines and runs; compared with this, the noise is zero.
MONEY_ZERO = 1e-06
# Not a row for every customer of the lines: the features are those of the customers
# with a purchase (a customer with only returns has none), so the customers come from
# the lines themselves.
EVERY_CUSTOMER = False


def orders_sql(*, as_of_days: float, columns: set[str], table: str = "tx") -> str:
    """SQL computing order features per customer from ``table`` (lines up to as-of).

    ``table`` must hold the transaction lines with a numeric ``t`` (days since epoch).
    Optional contract columns that are absent produce no feature.
    """
    has = columns.__contains__
    parts = [
        _purchase_features(as_of_days, has(s.CHANNEL)),
        _line_features(as_of_days, has(s.DISCOUNT)),
    ]
    if has(s.CATEGORY):
        parts.append(_category_features())
    channel = f", min({s.CHANNEL}) AS channel" if has(s.CHANNEL) else ""
    ctes = ",\n".join(f"f{i} AS ({sql})" for i, sql in enumerate(parts))
    joins = " ".join(f"LEFT JOIN f{i} USING ({s.CUSTOMER_ID})" for i in range(1, len(parts)))
    return f"""WITH lines AS (SELECT * FROM {table}),
orders AS (
  SELECT {s.CUSTOMER_ID}, {s.ORDER_ID}, min(t) AS t, sum({s.AMOUNT}) AS value,
         sum(CASE WHEN {s.AMOUNT} > 0 THEN {_quantity(has(s.QUANTITY))} ELSE 0 END) AS items
         {channel}
  FROM lines GROUP BY {s.CUSTOMER_ID}, {s.ORDER_ID}
),
purchases AS (
  SELECT *, t - lag(t) OVER (PARTITION BY {s.CUSTOMER_ID} ORDER BY t, {s.ORDER_ID}) AS gap
  FROM orders WHERE value > {MONEY_ZERO}
),
{ctes}
SELECT * FROM f0 {joins}"""


def _quantity(present: bool) -> str:
    return f"coalesce({s.QUANTITY}, 1)" if present else "1"


def _purchase_features(as_of_days: float, channel: bool) -> str:
    shares = ""
    if channel:
        shares = "".join(
            f", avg(CASE WHEN lower(channel) = '{name}' THEN 1E0 ELSE 0E0 END) AS {name}_share"
            for name in ("store", "online", "app")
        )
    return f"""SELECT {s.CUSTOMER_ID}, count(*) AS frequency,
    {as_of_days} - max(t) AS recency_days, avg(value) AS avg_order_value,
    avg(gap) AS ipt_mean_days, stddev_samp(gap) AS ipt_std_days,
    avg(items) AS basket_size{shares}
  FROM purchases GROUP BY {s.CUSTOMER_ID}"""


def _line_features(as_of_days: float, discount: bool) -> str:
    recent = f"t > {as_of_days - TREND_WINDOW_DAYS}"
    earlier = f"t <= {as_of_days - TREND_WINDOW_DAYS} AND t > {as_of_days - 2 * TREND_WINDOW_DAYS}"
    recent_sum = f"sum(CASE WHEN {recent} THEN {s.AMOUNT} ELSE 0 END)"
    earlier_sum = f"sum(CASE WHEN {earlier} THEN {s.AMOUNT} ELSE 0 END)"
    both = f"abs({recent_sum}) + abs({earlier_sum})"
    discount_share = ""
    if discount:
        discount_share = (
            f", sum(CASE WHEN {s.AMOUNT} > 0 THEN coalesce({s.DISCOUNT}, 0) ELSE 0 END) / "
            f"nullif(sum(CASE WHEN {s.AMOUNT} > 0 THEN {s.AMOUNT} + coalesce({s.DISCOUNT}, 0) "
            f"ELSE 0 END), 0) AS discount_share"
        )
    return f"""SELECT {s.CUSTOMER_ID}, sum({s.AMOUNT}) AS monetary,
    {as_of_days} - min(t) AS tenure_days,
    CASE WHEN {both} > {MONEY_ZERO} THEN ({recent_sum} - {earlier_sum}) / ({both})
    END AS spend_trend,
    sum(CASE WHEN {s.AMOUNT} < 0 THEN -{s.AMOUNT} ELSE 0 END)
      / nullif(sum(CASE WHEN {s.AMOUNT} > 0 THEN {s.AMOUNT} ELSE 0 END), 0) AS return_rate
    {discount_share}
  FROM lines GROUP BY {s.CUSTOMER_ID}"""


def _category_features() -> str:
    # Ties in spend go to the first category name. Spend is compared to the millionth:
    # float sums differ in their last digits with the order rows are added in.
    return f"""SELECT {s.CUSTOMER_ID},
    min(CASE WHEN place = 1 THEN {s.CATEGORY} END) AS top_category,
    -sum(p * log2(p)) AS category_entropy
  FROM (
    SELECT {s.CUSTOMER_ID}, {s.CATEGORY}, spend,
           spend / sum(spend) OVER (PARTITION BY {s.CUSTOMER_ID}) AS p,
           row_number() OVER (PARTITION BY {s.CUSTOMER_ID}
                              ORDER BY round(spend, 6) DESC, {s.CATEGORY}) AS place
    FROM (SELECT {s.CUSTOMER_ID}, {s.CATEGORY}, sum({s.AMOUNT}) AS spend FROM lines
          WHERE {s.AMOUNT} > 0 AND {s.CATEGORY} IS NOT NULL GROUP BY {s.CUSTOMER_ID}, {s.CATEGORY})
  ) GROUP BY {s.CUSTOMER_ID}"""

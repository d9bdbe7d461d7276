-- description: Every occupation's national May wages since 2020 in dollars of the current release's reference month (May of its year), deflated by the CPI-U (one row per year and occupation).
-- The deflator is the month and series of stg_cpi__deflator (settings cpi_deflator_series, cpi_deflator_month): the
-- May index of the CPI-U, U.S. city average, all items, not seasonally adjusted, because OEWS wages describe May.
-- real = nominal x (index of the target month / index of the wage's own May). The target month is the deflator
-- month of the latest release year in the wage history. A year whose index BLS did not publish, or that the pinned
-- CPI lacks, gets NULL real wages and says why (cpi_index_value_flag); nothing is filled in.
-- Without the CPI in the build stg_cpi__deflator is empty, so this mart is empty: pages say the CPI is not in it.
CREATE OR REPLACE TABLE mart_oews__real_wages AS
WITH deflator AS (
    SELECT d.series_id, d.period, d.month_name, s.series_title, s.base_period
    FROM stg_cpi__deflator AS d
    JOIN stg_cpi__series AS s USING (series_id)
),
target AS (
    SELECT max(reference_year) AS target_year FROM core_oews__national_wage_history
),
cpi AS (
    SELECT v.year, v.value AS cpi_index_value, v.value_flag, v.footnote_codes, v.revised, v.snapshot_sha256
    FROM stg_cpi__index_values AS v
    JOIN deflator AS d ON v.series_id = d.series_id AND v.period = d.period
),
factors AS (
    SELECT h.reference_year, t.target_year,
           c.cpi_index_value, tc.cpi_index_value AS target_cpi_index_value,
           CASE WHEN c.cpi_index_value IS NULL THEN coalesce(c.value_flag, 'not_in_cpi_snapshots') END
               AS cpi_index_value_flag,
           CASE WHEN tc.cpi_index_value IS NULL THEN coalesce(tc.value_flag, 'not_in_cpi_snapshots') END
               AS target_cpi_index_value_flag,
           c.footnote_codes AS cpi_footnote_codes, coalesce(c.revised, FALSE) AS cpi_index_revised,
           c.snapshot_sha256 AS cpi_snapshot_sha256,
           tc.cpi_index_value / c.cpi_index_value AS cpi_ratio_target_over_year
    FROM (SELECT DISTINCT reference_year FROM core_oews__national_wage_history) AS h
    CROSS JOIN target AS t
    LEFT JOIN cpi AS c ON c.year = h.reference_year
    LEFT JOIN cpi AS tc ON tc.year = t.target_year
)
SELECT
    h.reference_year, h.reference_period, h.soc_code, h.occupation_title, h.occupation_group,
    h.estimation_method, h.method_break_before,
    d.series_id AS cpi_series_id, d.series_title AS cpi_series_title, d.base_period AS cpi_base_period,
    d.month_name || ' ' || h.reference_year AS cpi_month,
    f.cpi_index_value, f.cpi_index_value_flag, f.cpi_footnote_codes, f.cpi_index_revised, f.cpi_snapshot_sha256,
    d.month_name || ' ' || f.target_year AS dollars_of_month,
    f.target_cpi_index_value, f.target_cpi_index_value_flag,
    f.cpi_ratio_target_over_year,
    h.annual_p10_wage_usd, h.annual_p10_wage_usd_flag,
    h.annual_p10_wage_usd * f.cpi_ratio_target_over_year AS annual_p10_wage_real_usd,
    h.annual_p10_wage_lower_bound_usd * f.cpi_ratio_target_over_year AS annual_p10_wage_lower_bound_real_usd,
    h.annual_median_wage_usd, h.annual_median_wage_usd_flag,
    h.annual_median_wage_usd * f.cpi_ratio_target_over_year AS annual_median_wage_real_usd,
    h.annual_median_wage_lower_bound_usd * f.cpi_ratio_target_over_year AS annual_median_wage_lower_bound_real_usd,
    h.annual_p90_wage_usd, h.annual_p90_wage_usd_flag,
    h.annual_p90_wage_usd * f.cpi_ratio_target_over_year AS annual_p90_wage_real_usd,
    h.annual_p90_wage_lower_bound_usd * f.cpi_ratio_target_over_year AS annual_p90_wage_lower_bound_real_usd,
    h.annual_mean_wage_usd, h.annual_mean_wage_usd_flag,
    h.annual_mean_wage_usd * f.cpi_ratio_target_over_year AS annual_mean_wage_real_usd,
    h.annual_mean_wage_lower_bound_usd * f.cpi_ratio_target_over_year AS annual_mean_wage_lower_bound_real_usd,
    h.hourly_p10_wage_usd, h.hourly_p10_wage_usd_flag,
    h.hourly_p10_wage_usd * f.cpi_ratio_target_over_year AS hourly_p10_wage_real_usd,
    h.hourly_p10_wage_lower_bound_usd * f.cpi_ratio_target_over_year AS hourly_p10_wage_lower_bound_real_usd,
    h.hourly_median_wage_usd, h.hourly_median_wage_usd_flag,
    h.hourly_median_wage_usd * f.cpi_ratio_target_over_year AS hourly_median_wage_real_usd,
    h.hourly_median_wage_lower_bound_usd * f.cpi_ratio_target_over_year AS hourly_median_wage_lower_bound_real_usd,
    h.hourly_p90_wage_usd, h.hourly_p90_wage_usd_flag,
    h.hourly_p90_wage_usd * f.cpi_ratio_target_over_year AS hourly_p90_wage_real_usd,
    h.hourly_p90_wage_lower_bound_usd * f.cpi_ratio_target_over_year AS hourly_p90_wage_lower_bound_real_usd,
    h.hourly_mean_wage_usd, h.hourly_mean_wage_usd_flag,
    h.hourly_mean_wage_usd * f.cpi_ratio_target_over_year AS hourly_mean_wage_real_usd,
    h.hourly_mean_wage_lower_bound_usd * f.cpi_ratio_target_over_year AS hourly_mean_wage_lower_bound_real_usd,
    h.annual_wages_only, h.hourly_wages_only
FROM core_oews__national_wage_history AS h
CROSS JOIN deflator AS d
JOIN factors AS f USING (reference_year)
ORDER BY h.soc_code, h.reference_year;

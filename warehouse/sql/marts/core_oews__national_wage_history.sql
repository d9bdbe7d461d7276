-- description: National cross-industry employment and wages for every occupation, May 2020 to the current release, harmonised (one row per year and occupation).
-- Years come from the May workbooks, except the current release's year, which comes from the current release.
-- Values BLS did not publish are NULL with a flag; a top-coded wage keeps its threshold as a lower bound.
-- May 2021 changed the estimation method (MB3): method_break_before marks the first year of the new method.
CREATE OR REPLACE TABLE core_oews__national_wage_history AS
WITH current_release AS (
    SELECT rel.reference_year, rel.reference_period,
           -- Footnote 5 states the ceiling, e.g. "equal to or greater than $115.00 per hour or $239,200 per year".
           (SELECT TRY_CAST(regexp_extract(footnote_text, '\$([0-9.,]+) per hour', 1) AS DOUBLE)
              FROM stg_oews__footnotes WHERE footnote_code = '5') AS top_code_hourly_usd,
           (SELECT TRY_CAST(replace(regexp_extract(footnote_text, '\$([0-9.,]+) per year', 1), ',', '') AS DOUBLE)
              FROM stg_oews__footnotes WHERE footnote_code = '5') AS top_code_annual_usd
    FROM stg_oews__release AS rel
),
combined AS (
    SELECT reference_year, 'May ' || reference_year AS reference_period, 'OEWS May workbook (' || source_file || ')' AS source,
           soc_code, occupation_title, occupation_group, also_published_as_broad,
           employment_count, employment_count_flag,
    employment_rse_pct, employment_rse_pct_flag,
    hourly_mean_wage_usd, hourly_mean_wage_usd_flag,
    annual_mean_wage_usd, annual_mean_wage_usd_flag,
    wage_rse_pct, wage_rse_pct_flag,
    hourly_p10_wage_usd, hourly_p10_wage_usd_flag,
    hourly_p25_wage_usd, hourly_p25_wage_usd_flag,
    hourly_median_wage_usd, hourly_median_wage_usd_flag,
    hourly_p75_wage_usd, hourly_p75_wage_usd_flag,
    hourly_p90_wage_usd, hourly_p90_wage_usd_flag,
    annual_p10_wage_usd, annual_p10_wage_usd_flag,
    annual_p25_wage_usd, annual_p25_wage_usd_flag,
    annual_median_wage_usd, annual_median_wage_usd_flag,
    annual_p75_wage_usd, annual_p75_wage_usd_flag,
    annual_p90_wage_usd, annual_p90_wage_usd_flag,
           annual_wages_only, hourly_wages_only, top_code_hourly_usd, top_code_annual_usd, snapshot_sha256
    FROM stg_oews__history_cells
    WHERE scope = 'nat' AND area_code = '99' AND naics_code = '000000'
      AND reference_year NOT IN (SELECT reference_year FROM current_release)
    UNION ALL BY NAME
    SELECT cr.reference_year, cr.reference_period, 'OEWS current release' AS source,
           occ.soc_code, occ.occupation_title,
           CASE WHEN occ.display_level = 3 THEN 'detailed' ELSE 'summary level ' || occ.display_level END AS occupation_group,
           FALSE AS also_published_as_broad,
           employment_count, employment_count_flag,
    employment_rse_pct, employment_rse_pct_flag,
    hourly_mean_wage_usd, hourly_mean_wage_usd_flag,
    annual_mean_wage_usd, annual_mean_wage_usd_flag,
    wage_rse_pct, wage_rse_pct_flag,
    hourly_p10_wage_usd, hourly_p10_wage_usd_flag,
    hourly_p25_wage_usd, hourly_p25_wage_usd_flag,
    hourly_median_wage_usd, hourly_median_wage_usd_flag,
    hourly_p75_wage_usd, hourly_p75_wage_usd_flag,
    hourly_p90_wage_usd, hourly_p90_wage_usd_flag,
    annual_p10_wage_usd, annual_p10_wage_usd_flag,
    annual_p25_wage_usd, annual_p25_wage_usd_flag,
    annual_median_wage_usd, annual_median_wage_usd_flag,
    annual_p75_wage_usd, annual_p75_wage_usd_flag,
    annual_p90_wage_usd, annual_p90_wage_usd_flag,
           cell.hourly_median_wage_usd_flag = 'wage_basis_not_published' AS annual_wages_only,
           cell.annual_median_wage_usd_flag = 'wage_basis_not_published' AS hourly_wages_only,
           cr.top_code_hourly_usd, cr.top_code_annual_usd, NULL AS snapshot_sha256
    FROM stg_oews__cells AS cell
    JOIN stg_oews__occupations AS occ USING (occupation_code)
    CROSS JOIN current_release AS cr
    WHERE cell.areatype_code = 'N' AND cell.industry_code = '000000'
)
SELECT
    reference_year, reference_period, source, soc_code, occupation_title, occupation_group, also_published_as_broad,
    CASE WHEN reference_year >= 2021 THEN 'MB3 (model-based, from May 2021)' ELSE 'pre-MB3' END AS estimation_method,
    reference_year = 2021 AS method_break_before,
    employment_count, employment_count_flag,
    employment_rse_pct, employment_rse_pct_flag,
    hourly_mean_wage_usd, hourly_mean_wage_usd_flag,
    annual_mean_wage_usd, annual_mean_wage_usd_flag,
    wage_rse_pct, wage_rse_pct_flag,
    hourly_p10_wage_usd, hourly_p10_wage_usd_flag,
    hourly_p25_wage_usd, hourly_p25_wage_usd_flag,
    hourly_median_wage_usd, hourly_median_wage_usd_flag,
    hourly_p75_wage_usd, hourly_p75_wage_usd_flag,
    hourly_p90_wage_usd, hourly_p90_wage_usd_flag,
    annual_p10_wage_usd, annual_p10_wage_usd_flag,
    annual_p25_wage_usd, annual_p25_wage_usd_flag,
    annual_median_wage_usd, annual_median_wage_usd_flag,
    annual_p75_wage_usd, annual_p75_wage_usd_flag,
    annual_p90_wage_usd, annual_p90_wage_usd_flag,
    CASE WHEN hourly_mean_wage_usd_flag = 'top_coded' THEN top_code_hourly_usd END AS hourly_mean_wage_lower_bound_usd,
    CASE WHEN annual_mean_wage_usd_flag = 'top_coded' THEN top_code_annual_usd END AS annual_mean_wage_lower_bound_usd,
    CASE WHEN hourly_p10_wage_usd_flag = 'top_coded' THEN top_code_hourly_usd END AS hourly_p10_wage_lower_bound_usd,
    CASE WHEN hourly_p25_wage_usd_flag = 'top_coded' THEN top_code_hourly_usd END AS hourly_p25_wage_lower_bound_usd,
    CASE WHEN hourly_median_wage_usd_flag = 'top_coded' THEN top_code_hourly_usd END AS hourly_median_wage_lower_bound_usd,
    CASE WHEN hourly_p75_wage_usd_flag = 'top_coded' THEN top_code_hourly_usd END AS hourly_p75_wage_lower_bound_usd,
    CASE WHEN hourly_p90_wage_usd_flag = 'top_coded' THEN top_code_hourly_usd END AS hourly_p90_wage_lower_bound_usd,
    CASE WHEN annual_p10_wage_usd_flag = 'top_coded' THEN top_code_annual_usd END AS annual_p10_wage_lower_bound_usd,
    CASE WHEN annual_p25_wage_usd_flag = 'top_coded' THEN top_code_annual_usd END AS annual_p25_wage_lower_bound_usd,
    CASE WHEN annual_median_wage_usd_flag = 'top_coded' THEN top_code_annual_usd END AS annual_median_wage_lower_bound_usd,
    CASE WHEN annual_p75_wage_usd_flag = 'top_coded' THEN top_code_annual_usd END AS annual_p75_wage_lower_bound_usd,
    CASE WHEN annual_p90_wage_usd_flag = 'top_coded' THEN top_code_annual_usd END AS annual_p90_wage_lower_bound_usd,
    annual_wages_only, hourly_wages_only, top_code_hourly_usd, top_code_annual_usd, snapshot_sha256
FROM combined
ORDER BY soc_code, reference_year;

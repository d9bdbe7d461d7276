-- description: Employment and wages in each report setting (OEWS national industry cells mapped by the settings seed), for every occupation.
-- OEWS publishes national-by-industry means and percentiles; a setting's figures are its industry's cell as published.
-- Cells BLS did not release stay NULL with their flag, so a setting without a published cell says so.
CREATE OR REPLACE TABLE mart_oews__setting_wages AS
SELECT
    occ.soc_code,
    occ.occupation_title,
    rel.reference_period,
    seed.setting_id,
    seed.report_variant,
    seed.oews_industry_code,
    seed.oews_industry_title,
    seed.is_proxy,
    seed.caveat,
    cell.employment_count, cell.employment_count_flag, cell.employment_rse_pct,
    cell.annual_mean_wage_usd, cell.annual_mean_wage_usd_flag, cell.wage_rse_pct,
    cell.hourly_mean_wage_usd,
    cell.annual_p10_wage_usd, cell.annual_p25_wage_usd, cell.annual_median_wage_usd, cell.annual_median_wage_usd_flag,
    cell.annual_p75_wage_usd, cell.annual_p90_wage_usd, cell.annual_p90_wage_usd_flag,
    cell.hourly_p10_wage_usd, cell.hourly_p25_wage_usd, cell.hourly_median_wage_usd, cell.hourly_p75_wage_usd,
    cell.hourly_p90_wage_usd
FROM seed_settings__industry_map AS seed
CROSS JOIN stg_oews__occupations AS occ
CROSS JOIN stg_oews__release AS rel
JOIN stg_oews__cells AS cell
  ON cell.areatype_code = 'N' AND cell.industry_code = seed.oews_industry_code
 AND cell.occupation_code = occ.occupation_code
ORDER BY occ.soc_code, seed.setting_id;

-- description: Compensation samples beside the OEWS national wage band of their occupation (p10 to p90).
-- A sample outside the band is flagged, not dropped: the band covers 80% of jobs, so some samples should fall outside.
CREATE OR REPLACE TABLE mart_comp__samples_vs_oews AS
SELECT
    s.*,
    w.reference_period AS oews_reference_period,
    w.annual_p10_wage_usd AS oews_annual_p10_wage_usd,
    w.annual_median_wage_usd AS oews_annual_median_wage_usd,
    w.annual_p90_wage_usd AS oews_annual_p90_wage_usd,
    CASE
        WHEN s.annual_usd IS NULL OR w.annual_p10_wage_usd IS NULL THEN NULL
        WHEN s.annual_usd < w.annual_p10_wage_usd THEN 'below OEWS p10'
        WHEN s.annual_usd > w.annual_p90_wage_usd THEN 'above OEWS p90'
        ELSE 'within OEWS p10-p90'
    END AS position_in_oews_band
FROM stg_comp__samples AS s
LEFT JOIN mart_oews__national_wages AS w USING (soc_code)
ORDER BY s.soc_code, s.observed_on;

-- description: Employment Projections for every occupation and edition, in jobs, with the latest edition marked.
-- EP counts include the self-employed; OEWS counts do not. Never add or subtract the two.
CREATE OR REPLACE TABLE mart_ep__occupation_outlook AS
SELECT
    p.*,
    p.edition = (SELECT max_by(edition, base_year) FROM stg_ep__editions) AS is_latest_edition,
    round(p.openings_annual_avg_count * 1.0 / nullif(p.employment_base_jobs, 0) * 100, 1) AS openings_pct_of_base
FROM stg_ep__occupation_projections AS p
ORDER BY p.soc_code, p.base_year;

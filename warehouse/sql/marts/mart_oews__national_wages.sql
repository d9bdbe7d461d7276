-- description: National, cross-industry employment and wages for every occupation in the current OEWS release.
CREATE OR REPLACE TABLE mart_oews__national_wages AS
SELECT
    occ.soc_code,
    occ.occupation_title,
    occ.display_level AS occupation_display_level,
    rel.reference_period,
    cell.* EXCLUDE (areatype_code, area_code, industry_code, occupation_code)
FROM stg_oews__cells AS cell
JOIN stg_oews__occupations AS occ USING (occupation_code)
CROSS JOIN stg_oews__release AS rel
WHERE cell.area_code = '0000000'
  AND cell.industry_code = '000000'
ORDER BY occ.soc_code;

-- description: Cross-industry employment and wages by state and territory for every occupation (current OEWS release).
CREATE OR REPLACE TABLE mart_oews__state_wages AS
SELECT
    occ.soc_code,
    occ.occupation_title,
    area.area_code,
    area.state_fips_code,
    area.area_name AS state_name,
    rel.reference_period,
    cell.* EXCLUDE (areatype_code, area_code, industry_code, occupation_code)
FROM stg_oews__cells AS cell
JOIN stg_oews__occupations AS occ USING (occupation_code)
JOIN stg_oews__areas AS area USING (area_code)
CROSS JOIN stg_oews__release AS rel
WHERE cell.areatype_code = 'S'
  AND cell.industry_code = '000000'
ORDER BY occ.soc_code, area.area_name;

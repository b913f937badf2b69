-- dates_test.lua: lua/dates.lua against a table of known dates.
--
--   lua5.4 t/unit/dates_test.lua        (from the top of the checkout)
--
-- Prints one line per failure and finally "dates: N passed, M failed"; the
-- exit status is non-zero when a case fails.
--
-- The Solar Hijri conversions were checked independently of dates.lua with
-- Debian's python3-convertdate 2.4.0 (convertdate.persian, which computes the
-- March equinox astronomically for the Tehran meridian) and with ICU 78 (the
-- Persian calendar of Node.js 20's Intl.DateTimeFormat, "en-u-ca-persian");
-- both agree with every row below.  Well-known anchors: Nowruz 1404 on
-- 2025-03-21, 22 Bahman 1357 (the revolution, 1979-02-11), 1 Farvardin 1304
-- (the calendar's adoption in Iran, 1925-03-21).  1403 being a leap year and
-- 1404 not is where the popular 2820-year rule goes wrong.
package.path = "lua/?.lua;" .. package.path

local dates = require "dates"

local passed, failed = 0, 0

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

-- Calls f(...) and compares every result with the list `want`.
local function check(name, want, f, ...)
  local got = table.pack(pcall(f, ...))
  if not got[1] then
    failed = failed + 1
    print("FAIL " .. name .. ": error: " .. tostring(got[2]))
    return
  end
  local n = math.max(#want, got.n - 1)
  for i = 1, n do
    if got[i + 1] ~= want[i] then
      local g, w = {}, {}
      for j = 2, got.n do g[#g + 1] = show(got[j]) end
      for j = 1, #want do w[#w + 1] = show(want[j]) end
      failed = failed + 1
      print("FAIL " .. name .. ": got " .. table.concat(g, ", ") ..
            "; want " .. table.concat(w, ", "))
      return
    end
  end
  passed = passed + 1
end

-- ---------------------------------------------------------------- conversions

-- { Gregorian, Solar Hijri year, month, day, why }
local conversions = {
  { "2025-03-21", 1404, 1, 1, "Nowruz 1404" },
  { "2025-03-20", 1403, 12, 30, "1403 is a leap year: Hoot/Esfand has 30 days" },
  { "2024-03-20", 1403, 1, 1, "Nowruz 1403" },
  { "2024-03-19", 1402, 12, 29, "1402 is not a leap year" },
  { "2023-03-21", 1402, 1, 1, "Nowruz 1402" },
  { "2023-03-20", 1401, 12, 29, "last day of 1401" },
  { "2026-03-21", 1405, 1, 1, "Nowruz 1405" },
  { "2026-03-20", 1404, 12, 29, "1404 is not a leap year" },
  { "2021-03-20", 1399, 12, 30, "1399 is a leap year" },
  { "2021-03-21", 1400, 1, 1, "Nowruz 1400" },
  { "2020-03-20", 1399, 1, 1, "Nowruz 1399" },
  { "2017-03-20", 1395, 12, 30, "1395 is a leap year" },
  { "2029-03-20", 1408, 1, 1, "1407 is not a leap year (five years after 1403)" },
  { "2030-03-20", 1408, 12, 30, "1408 is a leap year" },
  { "2030-03-21", 1409, 1, 1, "Nowruz 1409" },
  { "1979-02-11", 1357, 11, 22, "22 Bahman 1357" },
  { "2000-01-01", 1378, 10, 11, "Gregorian year boundary" },
  { "1999-12-31", 1378, 10, 10, "Gregorian year boundary" },
  { "2000-02-29", 1378, 12, 10, "Gregorian leap day of a century year" },
  { "2024-02-29", 1402, 12, 10, "Gregorian leap day" },
  { "1925-03-21", 1304, 1, 1, "Nowruz 1304" },
  { "1900-01-01", 1278, 10, 11, "1900 is not a Gregorian leap year" },
  { "2100-03-20", 1478, 12, 30, "1478 is a leap year" },
  { "2100-03-21", 1479, 1, 1, "Nowruz 1479" },
  -- First days of the months of 1404.
  { "2025-04-21", 1404, 2, 1, "1 Sawr / Ordibehesht" },
  { "2025-05-22", 1404, 3, 1, "1 Jawza / Khordad" },
  { "2025-06-22", 1404, 4, 1, "1 Saratan / Tir" },
  { "2025-07-23", 1404, 5, 1, "1 Asad / Mordad" },
  { "2025-08-23", 1404, 6, 1, "1 Sonbola / Shahrivar" },
  { "2025-09-22", 1404, 6, 31, "last day of a 31-day month" },
  { "2025-09-23", 1404, 7, 1, "1 Mizan / Mehr" },
  { "2025-10-23", 1404, 8, 1, "1 Aqrab / Aban" },
  { "2025-11-22", 1404, 9, 1, "1 Qaws / Azar" },
  { "2025-12-22", 1404, 10, 1, "1 Jadi / Dey" },
  { "2026-01-21", 1404, 11, 1, "1 Dalw / Bahman" },
  { "2026-02-19", 1404, 11, 30, "last day of a 30-day month" },
  { "2026-02-20", 1404, 12, 1, "1 Hoot / Esfand" },
  -- The sample site's dates.
  { "2025-03-31", 1404, 1, 11, "the seed's publication" },
  { "2025-03-30", 1404, 1, 10, "the seed's signature" },
  { "2025-04-02", 1404, 1, 13, "the German translation" },
  { "2025-02-21", 1403, 12, 3, "zaban-dari" },
  { "2025-03-15", 1403, 12, 25, "landay" },
  { "2025-03-14", 1403, 12, 24, "landay's signature" },
  { "2025-03-05", 1403, 12, 15, "pakhto-jaba-aw-likdod" },
}

for _, c in ipairs(conversions) do
  local iso, jy, jm, jd, why = c[1], c[2], c[3], c[4], c[5]
  local y, m, d = dates.parse(iso)
  check("to_jalali " .. iso .. " (" .. why .. ")", { jy, jm, jd }, dates.to_jalali, y, m, d)
  check("from_jalali " .. jy .. "/" .. jm .. "/" .. jd, { y, m, d }, dates.from_jalali, jy, jm, jd)
end

-- Leap years.
for jy, leap in pairs({ [1395] = true, [1399] = true, [1400] = false, [1402] = false,
                        [1403] = true, [1404] = false, [1407] = false, [1408] = true }) do
  check("jalali_leap " .. jy, { leap }, dates.jalali_leap, jy)
end
check("from_jalali 1403/12/30 exists", { 2025, 3, 20 }, dates.from_jalali, 1403, 12, 30)
check("from_jalali 1404/12/30 does not", { nil }, dates.from_jalali, 1404, 12, 30)
check("from_jalali 1404/7/31 does not", { nil }, dates.from_jalali, 1404, 7, 31)
check("from_jalali 1404/13/1", { nil }, dates.from_jalali, 1404, 13, 1)
check("from_jalali out of range", { nil }, dates.from_jalali, 3178, 1, 1)
check("to_jalali 2025-02-29", { nil }, dates.to_jalali, 2025, 2, 29)
check("to_jalali out of range", { nil }, dates.to_jalali, 500, 1, 1)
check("jalali_leap not a year", { nil }, dates.jalali_leap, "1403")

-- Every day from 1900 to 2100 converts forth and back, one day after another.
do
  local bad, prev = nil, nil
  local y, m, d = 1900, 1, 1
  while y <= 2100 and not bad do
    local jy, jm, jd = dates.to_jalali(y, m, d)
    local gy, gm, gd = dates.from_jalali(jy, jm, jd)
    if gy ~= y or gm ~= m or gd ~= d then bad = string.format("%d-%d-%d", y, m, d) end
    if prev and not bad then
      local py, pm, pd = prev[1], prev[2], prev[3]
      local next_day = (jy == py and jm == pm and jd == pd + 1)
          or (jy == py and jm == pm + 1 and jd == 1 and pd >= 29)
          or (jy == py + 1 and jm == 1 and jd == 1 and pm == 12 and pd >= 29)
      if not next_day then bad = string.format("%d-%d-%d follows %d/%d/%d", y, m, d, py, pm, pd) end
    end
    prev = { jy, jm, jd }
    d = d + 1
    local ny, nm = y, m
    if not dates.parse(string.format("%04d-%02d-%02d", y, m, d)) then
      d, nm = 1, m + 1
      if nm > 12 then nm, ny = 1, y + 1 end
    end
    y, m = ny, nm
  end
  check("1900-2100 round trip and continuity" .. (bad and (": " .. bad) or ""),
        { nil }, function() return bad end)
end

-- ---------------------------------------------------------------- forms

local forms = {
  -- The seed page (t/seed.t): dateline and signature.
  { "numeric", "2025-03-31", "en", "31.03.2025" },
  { "long", "2025-03-30", "en", "March 30, 2025" },
  { "long", "2025-03-30", "de", "30. März 2025" },
  { "long", "2025-03-30", "fr", "30 mars 2025" },
  { "long", "2025-03-01", "fr", "1er mars 2025" },
  { "long", "2025-08-15", "fr", "15 août 2025" },
  { "long", "2025-03-30", "ru", "30 марта 2025 г." },
  { "long", "2025-05-09", "ru", "9 мая 2025 г." },
  { "long", "2025-01-01", "en", "January 1, 2025" },
  { "long", "2025-12-24", "de", "24. Dezember 2025" },
  { "numeric", "2025-03-30", "de", "30.03.2025" },
  { "numeric", "2025-03-30", "ru", "30.03.2025" },
  -- Dari: Afghan month names, Persian digits, day month year.
  { "long", "2025-03-30", "fa", "۱۰ حمل ۱۴۰۴" },
  { "long", "2025-03-21", "fa", "۱ حمل ۱۴۰۴" },
  { "long", "2025-03-20", "fa", "۳۰ حوت ۱۴۰۳" },
  { "long", "1979-02-11", "fa", "۲۲ دلو ۱۳۵۷" },
  { "long", "2000-01-01", "fa", "۱۱ جدی ۱۳۷۸" },
  { "long", "2025-08-23", "fa", "۱ سنبله ۱۴۰۴" },
  { "long", "2025-04-21", "fa", "۱ ثور ۱۴۰۴" },
  -- Pashto: Pashto month names.
  { "long", "2025-03-30", "ps", "۱۰ وری ۱۴۰۴" },
  { "long", "2025-05-22", "ps", "۱ غبرګولی ۱۴۰۴" },
  { "long", "2025-06-22", "ps", "۱ چنګاښ ۱۴۰۴" },
  { "long", "2025-03-15", "ps", "۲۵ کب ۱۴۰۳" },
  { "long", "2025-11-22", "ps", "۱ لیندۍ ۱۴۰۴" },
  -- Solar Hijri numeric form: year/month/day, Persian digits, no padding.
  { "numeric", "2025-03-31", "fa", "۱۴۰۴/۱/۱۱" },
  { "numeric", "2026-02-19", "ps", "۱۴۰۴/۱۱/۳۰" },
  -- The dateline form: numeric, but long in Dari and Pashto.
  { "dateline", "2025-03-31", "en", "31.03.2025" },
  { "dateline", "2025-04-02", "de", "02.04.2025" },
  { "dateline", "2025-03-21", "fa", "۱ حمل ۱۴۰۴" },
  { "dateline", "2025-03-05", "ps", "۱۵ کب ۱۴۰۳" },
  -- Languages without a long form get the numeric one.
  { "long", "2025-03-30", "it", "30.03.2025" },
  { "long", "2025-03-30", nil, "30.03.2025" },
  -- Date-times: the date as written, whatever the zone.
  { "long", "2025-03-31T09:30:00+04:30", "en", "March 31, 2025" },
  { "long", "2025-03-31T23:59:59-10:00", "en", "March 31, 2025" },
  { "long", "2025-03-16T08:30:00+04:30", "ps", "۲۶ کب ۱۴۰۳" },
  { "numeric", "2025-03-31T00:30:00Z", "en", "31.03.2025" },
  { "numeric", "2025-03-31 09:30", "fa", "۱۴۰۴/۱/۱۱" },
  -- Bad input: nil, never an error.
  { "long", nil, "en", nil },
  { "long", "", "en", nil },
  { "long", 20250331, "en", nil },
  { "long", {}, "fa", nil },
  { "long", "2025-13-01", "en", nil },
  { "long", "2025-00-10", "en", nil },
  { "long", "2025-02-29", "fa", nil },
  { "long", "2025-04-31", "de", nil },
  { "long", "2025-03-00", "en", nil },
  { "long", "2025-3-1", "en", nil },
  { "long", "20250331", "en", nil },
  { "long", "2025-03-31x", "en", nil },
  { "long", "2025-03-31T", "en", nil },
  { "long", " 2025-03-31", "en", nil },
  { "numeric", "not a date", "fa", nil },
  { "numeric", "0500-01-01", "fa", nil },  -- before the algorithm's range
  { "numeric", "0500-01-01", "en", "01.01.0500" },
  { "dateline", "2025-02-30", "fa", nil },
}

for _, c in ipairs(forms) do
  local fn, iso, lang, want = c[1], c[2], c[3], c[4]
  check(string.format("%s(%s, %s)", fn, show(iso), show(lang)), { want }, dates[fn], iso, lang)
end

-- Gregorian leap day is valid.
check("long 2024-02-29 en", { "February 29, 2024" }, dates.long, "2024-02-29", "en")
check("long 1900-02-29 en", { nil }, dates.long, "1900-02-29", "en")

-- ---------------------------------------------------------------- month sets

check("fa with the Iranian names", { "۱۱ فروردین ۱۴۰۴" },
      dates.long, "2025-03-31", "fa", { months = "iran" })
check("fa with the Iranian names, Bahman", { "۲۲ بهمن ۱۳۵۷" },
      dates.long, "1979-02-11", "fa", { months = "iran" })
check("ps with the Dari names", { "۱۱ حمل ۱۴۰۴" },
      dates.long, "2025-03-31", "ps", { months = "afghan" })
check("a list of twelve names", { "۱۱ M1 ۱۴۰۴" }, dates.long, "2025-03-31", "fa",
      { months = { "M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "M10", "M11", "M12" } })
check("an unknown set falls back to the Afghan names", { "۱۱ حمل ۱۴۰۴" },
      dates.long, "2025-03-31", "fa", { months = "klingon" })
check("a short list gives nil", { nil }, dates.long, "2026-02-20", "fa", { months = { "x" } })
check("opts that are not a table are ignored", { "۱۱ حمل ۱۴۰۴" },
      dates.long, "2025-03-31", "fa", "iran")
check("opts do not change English", { "March 31, 2025" },
      dates.long, "2025-03-31", "en", { months = "iran" })

dates.default_months.fa = "iran"
check("default_months.fa = iran", { "۱ اسفند ۱۴۰۴" }, dates.long, "2026-02-20", "fa")
check("default_months.fa = iran, dateline", { "۱ فروردین ۱۴۰۴" },
      dates.dateline, "2025-03-21", "fa")
dates.default_months.fa = "afghan"
check("default_months.fa back to afghan", { "۱ حوت ۱۴۰۴" }, dates.long, "2026-02-20", "fa")

-- ---------------------------------------------------------------- the memo
--
-- dates.lua remembers formatted dates; the same call asked again after the
-- configuration changed must give the new answer, not the remembered one.
local iso = "2025-04-10"
check("memo: afghan first", { "۲۱ حمل ۱۴۰۴" }, dates.dateline, iso, "fa")
check("memo: afghan again", { "۲۱ حمل ۱۴۰۴" }, dates.dateline, iso, "fa")
dates.default_months.fa = "iran"
check("memo: default_months.fa = iran seen at once", { "۲۱ فروردین ۱۴۰۴" },
      dates.dateline, iso, "fa")
check("memo: long sees iran too", { "۲۱ فروردین ۱۴۰۴" }, dates.long, iso, "fa")
dates.default_months.fa = "afghan"
check("memo: back to afghan", { "۲۱ حمل ۱۴۰۴" }, dates.dateline, iso, "fa")
dates.dateline_forms.fa = "numeric"
check("memo: dateline_forms.fa = numeric seen at once", { "۱۴۰۴/۱/۲۱" },
      dates.dateline, iso, "fa")
dates.dateline_forms.fa = "long"
check("memo: dateline_forms.fa back to long", { "۲۱ حمل ۱۴۰۴" }, dates.dateline, iso, "fa")
dates.dateline_forms.de = "long"
check("memo: dateline_forms.de = long", { "10. April 2025" }, dates.dateline, iso, "de")
dates.dateline_forms.de = nil
check("memo: de numeric again", { "10.04.2025" }, dates.dateline, iso, "de")
check("memo: a list of names", { "۲۱ A ۱۴۰۴" }, dates.long, iso, "fa",
      { months = { "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L" } })
check("memo: another list of names", { "۲۱ Z ۱۴۰۴" }, dates.long, iso, "fa",
      { months = { "Z", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L" } })
local saved = dates.month_sets.afghan
dates.month_sets.afghan = { "X", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L" }
check("memo: a replaced month set", { "۲۱ X ۱۴۰۴" }, dates.dateline, iso, "fa")
dates.month_sets.afghan = saved
check("memo: the month set restored", { "۲۱ حمل ۱۴۰۴" }, dates.dateline, iso, "fa")
check("memo: nil is remembered as nil", { nil }, dates.dateline, "2025-02-30", "fa")
check("memo: nil again", { nil }, dates.dateline, "2025-02-30", "fa")
-- The long form is remembered per language: one language's text is never
-- another's for the same date.
check("memo: long en", { "April 10, 2025" }, dates.long, iso, "en")
check("memo: long de after en", { "10. April 2025" }, dates.long, iso, "de")
check("memo: long fr after de", { "10 avril 2025" }, dates.long, iso, "fr")
check("memo: long ru after fr", { "10 апреля 2025 г." }, dates.long, iso, "ru")
check("memo: long en again", { "April 10, 2025" }, dates.long, iso, "en")
check("memo: long xx (numeric) after en", { "10.04.2025" }, dates.long, iso, "xx")

-- dates.datelines(lang): what it holds for a date is what dates.dateline
-- gives for that date and language, now; a miss is only "not known yet".
local function known(lang, date)
  return dates.datelines(lang)[date]
end
local iso2 = "2025-04-11"
check("datelines: a date not asked yet is not known", { nil }, known, "de", iso2)
dates.dateline(iso2, "de")
dates.dateline(iso2, "fa")
dates.dateline(iso2, "en")
check("datelines: de holds de's dateline", { "11.04.2025" }, known, "de", iso2)
check("datelines: fa holds fa's dateline", { "۲۲ حمل ۱۴۰۴" }, known, "fa", iso2)
check("datelines: en holds en's", { "11.04.2025" }, known, "en", iso2)
dates.dateline(iso2, "ps")
check("datelines: ps holds ps's, not fa's", { "۲۲ وری ۱۴۰۴" }, known, "ps", iso2)
check("datelines: fa still fa's", { "۲۲ حمل ۱۴۰۴" }, known, "fa", iso2)
dates.dateline("2025-02-30", "de")
check("datelines: nil is held as false", { false }, known, "de", "2025-02-30")
dates.dateline_forms.de = "long"
check("datelines: dateline_forms.de = long, the numeric text is not handed out",
      { true }, function() return known("de", iso2) ~= "11.04.2025" end)
dates.dateline(iso2, "de")
check("datelines: then de's long dateline", { "11. April 2025" }, known, "de", iso2)
dates.dateline_forms.de = nil
check("datelines: de numeric again", { "11.04.2025" }, known, "de", iso2)
dates.default_months.fa = "iran"
check("datelines: default_months.fa = iran, the afghan text is not handed out",
      { true }, function() return known("fa", iso2) ~= "۲۲ حمل ۱۴۰۴" end)
dates.dateline(iso2, "fa")
check("datelines: then the iran one", { "۲۲ فروردین ۱۴۰۴" }, known, "fa", iso2)
dates.default_months.fa = "afghan"
check("datelines: afghan again", { "۲۲ حمل ۱۴۰۴" }, known, "fa", iso2)
check("datelines: a language that is not a string knows nothing", { nil },
      known, nil, iso2)
do
  local own = dates.numeric
  dates.numeric = function() return "mine" end
  check("datelines: with dates.numeric replaced it knows nothing", { nil },
        known, "de", iso2)
  check("datelines: and dateline asks the replacement", { "mine" },
        dates.dateline, iso2, "de")
  dates.numeric = own
  check("datelines: numeric restored", { "11.04.2025" }, known, "de", iso2)
end

-- More distinct dates than the memo holds: it is emptied and refilled, and
-- every answer stays the one the calendar gives.
do
  local ok = true
  for round = 1, 2 do
    for day = 0, 9999 do
      local y, m, d = 2000 + day // 372, day // 31 % 12 + 1, day % 31 + 1
      if d <= 28 then
        local s = string.format("%04d-%02d-%02d", y, m, d)
        local want = string.format("%02d.%02d.%04d", d, m, y)
        if dates.dateline(s, "en") ~= want then ok = false end
        local held = dates.datelines("en")[s]
        if held ~= nil and held ~= want then ok = false end
      end
    end
    if round == 1 and dates.dateline(iso, "fa") ~= "۲۱ حمل ۱۴۰۴" then ok = false end
  end
  check("memo: bounded, answers unchanged past its size", { true }, function() return ok end)
end

-- Each set has twelve distinct names; Pashto is written with Pashto letters.
for name, set in pairs(dates.month_sets) do
  local seen, ok = {}, #set == 12
  for _, s in ipairs(set) do
    if type(s) ~= "string" or s == "" or seen[s] or not utf8.len(s) then ok = false end
    seen[s] = true
  end
  check("month set " .. name .. " has twelve distinct names", { true }, function() return ok end)
end
check("Pashto names use the Pashto gaf (U+06AB), not the Persian one",
      { true }, function()
        local all = table.concat(dates.month_sets.pashto)
        return all:find("ګ", 1, true) ~= nil and all:find("گ", 1, true) == nil
      end)
check("Dari and Iranian names use the Persian yeh and kaf, not the Arabic ones",
      { true }, function()
        local all = table.concat(dates.month_sets.afghan) .. table.concat(dates.month_sets.iran)
        return all:find("ي", 1, true) == nil and all:find("ك", 1, true) == nil
      end)

print(string.format("dates: %d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)

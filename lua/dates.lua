-- dates.lua: dates for people, in the page's language.
--
-- Filters `require "dates"` to turn the ISO dates of the repository
-- ("2025-03-30", or a date-time such as "2025-03-31T09:30:00+04:30", of which
-- the date is taken as written, without converting the time zone) into what
-- readers expect.  Pure Lua 5.4; every function returns nil for input it does
-- not understand and never raises an error.
--
--   dates.long(iso, lang [, opts])   the long form
--       en  March 30, 2025             fr  30 mars 2025 (1er mars 2025)
--       de  30. März 2025              ru  30 марта 2025 г.
--       fa  ۱۰ حمل ۱۴۰۴                 ps  ۱۰ وری ۱۴۰۴
--     Other languages get the numeric form.
--   dates.numeric(iso, lang)         the short form
--       every language but fa and ps: day.month.year, "31.03.2025"
--       fa, ps: Solar Hijri year/month/day in Persian digits, "۱۴۰۴/۱/۱۱"
--   dates.dateline(iso, lang)        the form of the article dateline:
--       dates.dateline_forms[lang] ("long" or "numeric"; numeric by default).
--       Dari and Pashto readers get the long form (the Solar Hijri numeric
--       form is easily misread), the others the seed's "31.03.2025".
--   dates.datelines(lang)            the datelines of lang already made, by
--       ISO string (false for nil), for loops: look there first, call
--       dates.dateline on a miss.
--
-- Dari (fa) and Pashto (ps) dates are in the Solar Hijri calendar, the civil
-- calendar of Afghanistan and Iran, with Persian digits (۰۱۲۳۴۵۶۷۸۹).  Month
-- names come from a string set in dates.month_sets:
--     afghan  حمل ثور جوزا سرطان اسد سنبله میزان عقرب قوس جدی دلو حوت (Dari)
--     pashto  وری غویی غبرګولی چنګاښ زمری وږی تله لړم لیندۍ مرغومی سلواغه کب
--     iran    فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند
-- dates.default_months below maps a language to its set (fa = "afghan",
-- ps = "pashto"); a site that prefers the Iranian names sets fa = "iran"
-- there.  (Assigning require("dates").default_months.fa from a filter works
-- too, but a module is shared by every location a server's Lua states serve.)
-- One call can ask for another set: dates.long(iso, "fa", { months = "iran" });
-- opts.months may also be a list of twelve names.
--
-- The calendar arithmetic is exposed too: dates.to_jalali(y, m, d),
-- dates.from_jalali(jy, jm, jd) and dates.jalali_leap(jy).
local M = {}

-- ---------------------------------------------------------------- names

local gregorian_months = {
  en = { "January", "February", "March", "April", "May", "June", "July",
         "August", "September", "October", "November", "December" },
  de = { "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
         "August", "September", "Oktober", "November", "Dezember" },
  fr = { "janvier", "février", "mars", "avril", "mai", "juin", "juillet",
         "août", "septembre", "octobre", "novembre", "décembre" },
  -- Russian writes the month in the genitive after the day: "30 марта".
  ru = { "января", "февраля", "марта", "апреля", "мая", "июня", "июля",
         "августа", "сентября", "октября", "ноября", "декабря" },
}

-- Solar Hijri month names.  Afghanistan names the months after the signs of
-- the zodiac, in Dari with the Arabic names and in Pashto with Pashto ones
-- (written with the Pashto letters ګ ښ ږ ړ ۍ); Iran uses the Middle Persian
-- names.
M.month_sets = {
  afghan = { "حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله",
             "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت" },
  pashto = { "وری", "غویی", "غبرګولی", "چنګاښ", "زمری", "وږی",
             "تله", "لړم", "لیندۍ", "مرغومی", "سلواغه", "کب" },
  iran   = { "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
             "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند" },
}

-- The month set each Solar Hijri language uses unless told otherwise.
M.default_months = { fa = "afghan", ps = "pashto" }

-- The form page.date_text (the article dateline) takes per language.
M.dateline_forms = { fa = "long", ps = "long" }

-- Extended Arabic-Indic digits, as written in Dari and Pashto (and Persian).
local persian_digits = { ["0"] = "۰", ["1"] = "۱", ["2"] = "۲", ["3"] = "۳",
  ["4"] = "۴", ["5"] = "۵", ["6"] = "۶", ["7"] = "۷", ["8"] = "۸", ["9"] = "۹" }

-- Languages written with the Solar Hijri calendar and Persian digits.
local solar_hijri = { fa = true, ps = true }

-- Persian digits of a non-negative integer, made once per number: a list
-- page asks for the same few days and years over and over.
local persian_numbers = setmetatable({}, { __index = function(t, n)
  local s = (tostring(n):gsub("%d", persian_digits))
  t[n] = s
  return s
end })

-- ---------------------------------------------------------------- Gregorian

local function gregorian_leap(y)
  return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
end

local month_days = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function days_in_month(y, m)
  if m == 2 and gregorian_leap(y) then return 29 end
  return month_days[m]
end

-- Julian day number of a proleptic Gregorian date (the count of days of the
-- astronomers; any integer day count would do, this one is well known).
-- Valid for years from -4800 on; floor division throughout.
local function jdn_from_gregorian(y, m, d)
  local a = (14 - m) // 12
  local yy = y + 4800 - a
  local mm = m + 12 * a - 3
  return d + (153 * mm + 2) // 5 + 365 * yy + yy // 4 - yy // 100 + yy // 400 - 32045
end

local function gregorian_from_jdn(j)
  local a = j + 32044
  local b = (4 * a + 3) // 146097
  local c = a - 146097 * b // 4
  local d = (4 * c + 3) // 1461
  local e = c - 1461 * d // 4
  local m = (5 * e + 2) // 153
  return 100 * b + d - 4800 + m // 10, m + 3 - 12 * (m // 10), e - (153 * m + 2) // 5 + 1
end

-- ---------------------------------------------------------------- Solar Hijri
--
-- The Solar Hijri year starts on the day of the March equinox: Nowruz (1 Hamal
-- or 1 Farvardin) is the day on whose noon at the Tehran meridian (52.5° E)
-- the Sun has passed the equinox.  Which years are leap years (Hoot/Esfand of
-- 30 days instead of 29) therefore follows the Sun, not a fixed rule: the
-- 2820-year rule makes 1404 a leap year instead of 1403, and a plain 33-year
-- cycle (leap when the year mod 33 is 1, 5, 9, 13, 17, 22, 26 or 30) is right
-- for 1178-1633 only.
--
-- This is the "jalaali" algorithm of Kazimierz M. Borkowski, "The Persian
-- calendar for 3000 years", Earth, Moon, and Planets 74 (1996) 223-230, the one
-- used by the jalaali-js / jalaali-python libraries, written anew here.
-- Borkowski computed the equinoxes astronomically for the years -61..3177 and
-- found that the leap years do follow the 33-year pattern (a leap year every
-- fourth year, the eighth leap year of a cycle after five years) but that the
-- pattern restarts at certain "break" years, listed below.  Between two breaks
-- the leap years are pure arithmetic:
--
--   * leap_j counts the Solar Hijri leap years before year jy from a fixed
--     origin: 8 per full 33 years of each interval between breaks, and in the
--     current cycle the years 0, 4, 8, ... 28 of the cycle that precede jy
--     (hence "(n % 33 + 3) // 4");
--   * leap_g counts the Gregorian leap days up to year gy = jy + 621;
--   * Nowruz falls on March 20 + leap_j - leap_g: each Solar Hijri leap day
--     moves it a day later, each Gregorian one a day earlier.
--
-- The rule is defined for the years -61..3177 (Gregorian 560..3798); outside
-- them the functions return nil.  Where the equinox falls within minutes of
-- Tehran noon, other astronomical computations may differ by a day: ICU 78
-- and python3-convertdate agree with this module on every day from 1300 to
-- 1502 (1921-2124) but start 1503 on 2124-03-20, a day before Borkowski.
local breaks = { -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635,
                 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178 }

-- For Solar Hijri year jy: the Gregorian year in which it starts, the day of
-- March of its Nowruz, and whether it is a leap year.  nil when out of range.
-- Every quantity below is non-negative, so Lua's floor division is Borkowski's
-- integer division.
local function jalali_year(jy)
  if jy < breaks[1] or jy >= breaks[#breaks] then return nil end
  local gy = jy + 621
  local leap_j = -14
  local jp = breaks[1]
  local jump = 0
  for i = 2, #breaks do
    local jm = breaks[i]
    jump = jm - jp
    if jy < jm then break end
    leap_j = leap_j + jump // 33 * 8 + jump % 33 // 4
    jp = jm
  end
  local n = jy - jp                    -- years since the last break
  leap_j = leap_j + n // 33 * 8 + (n % 33 + 3) // 4
  -- Borkowski's correction for an interval 4 years longer than a multiple of
  -- 33: its fifth-last year is a leap year (see the cycle shift below), which
  -- the count above misses in the fourth-last year.
  if jump % 33 == 4 and jump - n == 4 then leap_j = leap_j + 1 end
  local leap_g = gy // 4 - (gy // 100 + 1) * 3 // 4 - 150
  local march = 20 + leap_j - leap_g
  -- Position in the 33-year cycle; near the end of an interval the cycle is
  -- counted from the next break.
  if jump - n < 6 then n = n - jump + (jump + 4) // 33 * 33 end
  local p = (n + 1) % 33 - 1         -- years since the last leap year, mod 4
  local leap = p >= 0 and p % 4 == 0
  return gy, march, leap
end

--- Is Solar Hijri year jy a leap year (Hoot/Esfand of 30 days)?  nil when
--- the year is outside -61..3177.
function M.jalali_leap(jy)
  if math.type(jy) ~= "integer" then return nil end
  local gy, _, leap = jalali_year(jy)
  if not gy then return nil end
  return leap
end

--- Gregorian (y, m, d) to Solar Hijri (jy, jm, jd); nil when it is not a
--- valid date or is outside the algorithm's range.
function M.to_jalali(y, m, d)
  if math.type(y) ~= "integer" or math.type(m) ~= "integer"
      or math.type(d) ~= "integer" or m < 1 or m > 12 or d < 1
      or d > days_in_month(y, m) then
    return nil
  end
  local j = jdn_from_gregorian(y, m, d)
  local jy = y - 621
  local gy, march = jalali_year(jy)
  if not gy then return nil end
  local start = jdn_from_gregorian(gy, 3, march)
  if j < start then             -- January to mid-March: the previous year
    jy = jy - 1
    gy, march = jalali_year(jy)
    if not gy then return nil end
    start = jdn_from_gregorian(gy, 3, march)
  end
  local k = j - start           -- days since Nowruz
  if k < 186 then               -- months 1-6 have 31 days
    return jy, k // 31 + 1, k % 31 + 1
  end
  k = k - 186                   -- months 7-11 have 30, month 12 29 or 30
  return jy, k // 30 + 7, k % 30 + 1
end

--- Solar Hijri (jy, jm, jd) to Gregorian (y, m, d); nil when it is not a
--- valid date or is outside the algorithm's range.
function M.from_jalali(jy, jm, jd)
  if math.type(jy) ~= "integer" or math.type(jm) ~= "integer"
      or math.type(jd) ~= "integer" or jm < 1 or jm > 12 or jd < 1 then
    return nil
  end
  local gy, march, leap = jalali_year(jy)
  if not gy then return nil end
  local len = jm <= 6 and 31 or jm <= 11 and 30 or leap and 30 or 29
  if jd > len then return nil end
  local k = jm <= 7 and (jm - 1) * 31 or 186 + (jm - 7) * 30
  return gregorian_from_jdn(jdn_from_gregorian(gy, 3, march) + k + jd - 1)
end

-- ---------------------------------------------------------------- parsing

--- Year, month and day of an ISO 8601 date ("2025-03-30") or date-time
--- ("2025-03-31T09:30:00+04:30", "2025-03-31 09:30"): the date as written,
--- whatever the time zone.  nil when it is not a valid date.
function M.parse(iso)
  if type(iso) ~= "string" then return nil end
  local y, m, d, rest = iso:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return nil end
  if rest ~= "" and not rest:match("^[Tt ]%d%d:%d%d") then return nil end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 or d > days_in_month(y, m) then return nil end
  return y, m, d
end

-- ---------------------------------------------------------------- forms

local function month_names(lang, opts)
  local set = opts and opts.months or M.default_months[lang]
  if type(set) == "table" then return set end
  return M.month_sets[set] or M.month_sets.afghan
end

local long_form = {
  en = function(d, m, y) return string.format("%s %d, %d", gregorian_months.en[m], d, y) end,
  de = function(d, m, y) return string.format("%d. %s %d", d, gregorian_months.de[m], y) end,
  fr = function(d, m, y)
    return string.format("%s %s %d", d == 1 and "1er" or tostring(d), gregorian_months.fr[m], y)
  end,
  ru = function(d, m, y) return string.format("%d %s %d г.", d, gregorian_months.ru[m], y) end,
}

local function numeric(iso, lang)
  local y, m, d = M.parse(iso)
  if not y then return nil end
  if solar_hijri[lang] then
    local jy, jm, jd = M.to_jalali(y, m, d)
    if not jy then return nil end
    return persian_numbers[jy] .. "/" .. persian_numbers[jm] .. "/" .. persian_numbers[jd]
  end
  return string.format("%02d.%02d.%04d", d, m, y)
end

local function long(iso, lang, names)
  local y, m, d = M.parse(iso)
  if not y then return nil end
  if solar_hijri[lang] then
    local jy, jm, jd = M.to_jalali(y, m, d)
    if not jy then return nil end
    local name = names[jm]
    if type(name) ~= "string" then return nil end
    return persian_numbers[jd] .. " " .. name .. " " .. persian_numbers[jy]
  end
  local f = long_form[lang]
  if f then return f(d, m, y) end
  return numeric(iso, lang)
end

-- ---------------------------------------------------------------- memo
--
-- A list page formats the date of every listed article on every request, and
-- the calendar arithmetic above is the bulk of a list page's filter time.  A
-- formatted date depends on the ISO string, the language, the form and, for
-- the Solar Hijri long form, the list of month names, so the results are
-- remembered per list of names (the table itself: dates.month_sets.iran or
-- the one dates.default_months[lang] names at the time of the call) and per
-- "form, language, ISO string".  The configurable tables are read on every
-- call, so a filter that sets dates.default_months.fa = "iran" or
-- dates.dateline_forms.de = "long" sees the change at once; a list of twelve
-- names given in opts.months is not remembered (a filter may build a fresh one
-- per call).  Editing a list of names in place is the one change the memo does
-- not see: assign a new list instead.  The memo is bounded: when it holds
-- memo_max results it is emptied and starts again.
local memo_max = 4096
local memo_count = 0
local memo = {}                -- names table or false -> key -> result or false
local no_names = false
-- The results again by language and ISO string, for the string languages
-- pages pass: found with a few lookups, no key to build (a list page asks
-- for one per listed article, an article page for its dateline and
-- signature).  They hold no more than the memo (each of their results is one
-- the memo holds) and are emptied with it.
local numeric_by_lang = {}     -- lang -> iso -> result or false
local long_by_lang = {}        -- lang (not Solar Hijri) -> iso -> result or false
local solar_long = {}          -- names table -> lang -> iso -> result or false

-- t[k], a table, made when missing.
local function inner(t, k)
  local v = t[k]
  if not v then
    v = {}
    t[k] = v
  end
  return v
end

local function remembered(names, key)
  local by_key = memo[names]
  if not by_key then return nil, nil end
  return by_key[key], by_key
end

local function remember(by_key, names, key, value)
  if memo_count >= memo_max then
    memo, memo_count, by_key = {}, 0, nil
    numeric_by_lang, long_by_lang, solar_long = {}, {}, {}
  end
  if not by_key then
    by_key = {}
    memo[names] = by_key
  end
  by_key[key] = value == nil and false or value
  memo_count = memo_count + 1
  return value
end

--- "31.03.2025", or "۱۴۰۴/۱/۱۱" in Dari and Pashto.
function M.numeric(iso, lang)
  -- Only strings are kept as ISO keys: any other iso misses here (reading
  -- a nil or NaN key is allowed) and is refused below.
  local by_iso = numeric_by_lang[lang]
  local hit = by_iso and by_iso[iso]
  if hit ~= nil then return hit or nil end
  if type(iso) ~= "string" then return nil end
  local key = "n\0" .. tostring(lang) .. "\0" .. iso
  local by_key
  hit, by_key = remembered(no_names, key)
  if hit == nil then
    hit = remember(by_key, no_names, key, numeric(iso, lang)) or false
  end
  if type(lang) == "string" then
    inner(numeric_by_lang, lang)[iso] = hit
  end
  return hit or nil
end

--- "March 30, 2025", "30. März 2025", "۹ حمل ۱۴۰۴"; the numeric form for
--- languages without a long one.  opts.months picks the Solar Hijri month
--- names: a key of dates.month_sets or a list of twelve names.
function M.long(iso, lang, opts)
  if type(iso) ~= "string" then return nil end
  opts = type(opts) == "table" and opts or nil
  if not solar_hijri[lang] then
    local by_iso = long_by_lang[lang]
    local hit = by_iso and by_iso[iso]
    if hit ~= nil then return hit or nil end
    local key = "l\0" .. tostring(lang) .. "\0" .. iso
    local by_key
    hit, by_key = remembered(no_names, key)
    if hit == nil then
      hit = remember(by_key, no_names, key, long(iso, lang, nil)) or false
    end
    if type(lang) == "string" then
      inner(long_by_lang, lang)[iso] = hit
    end
    return hit or nil
  end
  local names = month_names(lang, opts)
  if opts and type(opts.months) == "table" then return long(iso, lang, names) end
  local by_lang = solar_long[names]
  local by_iso = by_lang and by_lang[lang]
  local hit = by_iso and by_iso[iso]
  if hit ~= nil then return hit or nil end
  local key = "l\0" .. lang .. "\0" .. iso
  local by_key
  hit, by_key = remembered(names, key)
  if hit == nil then
    hit = remember(by_key, names, key, long(iso, lang, names)) or false
  end
  inner(inner(solar_long, names), lang)[iso] = hit
  return hit or nil
end

--- The dateline form of lang (dates.dateline_forms), numeric by default.
function M.dateline(iso, lang)
  if M.dateline_forms[lang] == "long" then return M.long(iso, lang) end
  return M.numeric(iso, lang)
end

-- The module's own functions, to tell whether a filter replaced one.
local own_dateline, own_long, own_numeric = M.dateline, M.long, M.numeric

--- The datelines of lang known so far, for a loop that asks for many: a
--- table from ISO strings to what dates.dateline(iso, lang) gives now (false
--- for nil).  A string it lacks is not known yet: call dates.dateline, which
--- may add it.  Read it, never write it.  It answers for the configuration
--- at the time of this call (dates.dateline_forms, dates.default_months):
--- ask again after changing them.  When a filter replaced dates.dateline,
--- long or numeric, it is empty, so every date goes to dateline.
function M.datelines(lang)
  if type(lang) ~= "string" or M.dateline ~= own_dateline or M.long ~= own_long
      or M.numeric ~= own_numeric then
    return {}
  end
  if M.dateline_forms[lang] ~= "long" then return inner(numeric_by_lang, lang) end
  if not solar_hijri[lang] then return inner(long_by_lang, lang) end
  return inner(inner(solar_long, month_names(lang, nil)), lang)
end

return M

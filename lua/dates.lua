-- dates.lua: dates for people, in the page's language.
--
-- Filters `require "dates"` to turn the ISO dates of the repository into what
-- readers expect: "March 30, 2025" in English, "30. März 2025" in German.
-- Languages without a table here get the numeric form "30.03.2025", written in
-- their own digits when the table below knows them.  Localised calendars
-- (Solar Hijri for Dari and Pashto) are the subject of issue #4.
local M = {}

local months = {
  en = { "January", "February", "March", "April", "May", "June", "July",
         "August", "September", "October", "November", "December" },
  de = { "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
         "August", "September", "Oktober", "November", "Dezember" },
}

local long_form = {
  en = function(d, m, y) return string.format("%s %d, %d", months.en[m], d, y) end,
  de = function(d, m, y) return string.format("%d. %s %d", d, months.de[m], y) end,
}

-- Extended Arabic-Indic digits, as written in Dari and Pashto.
local persian_digits = { ["0"] = "۰", ["1"] = "۱", ["2"] = "۲", ["3"] = "۳",
  ["4"] = "۴", ["5"] = "۵", ["6"] = "۶", ["7"] = "۷", ["8"] = "۸", ["9"] = "۹" }
local native_digits = { fa = persian_digits, ps = persian_digits }

-- Year, month and day of an ISO date or date-time; nil when it is not one.
function M.parse(iso)
  if type(iso) ~= "string" then return nil end
  local y, m, d = iso:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)")
  if not y then return nil end
  return tonumber(y), tonumber(m), tonumber(d)
end

local function digits(s, lang)
  local map = native_digits[lang]
  if not map then return s end
  return (s:gsub("%d", map))
end

-- "31.03.2025": the dateline form of the seed page.
function M.numeric(iso, lang)
  local y, m, d = M.parse(iso)
  if not y then return nil end
  return digits(string.format("%02d.%02d.%04d", d, m, y), lang)
end

-- "March 30, 2025": the signature form of the seed page.
function M.long(iso, lang)
  local y, m, d = M.parse(iso)
  if not y then return nil end
  local f = long_form[lang]
  if f then return f(d, m, y) end
  return M.numeric(iso, lang)
end

return M

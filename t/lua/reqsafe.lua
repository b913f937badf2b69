-- What a filter may send (t/request_safety.t): the query string names one
-- action and its argument, percent-encoded.
--   redirect=URL         r:redirect(URL)
--   header=NAME          r:set_header(NAME, "x")
--   unset=NAME           r:set_header(NAME, nil)
--   status=N             return N
--   redir_then=N         r:redirect("/en/", 301), then return N
--   lang_redirect=1      read Accept-Language, then redirect
--   cookie_status=N      read the cookie "edition", then return N
--   header_404=1         read X-Variant, then return 404
--   cookie_redirect=1    set a cookie, then redirect
--   retry=N              set Retry-After, then return N
local function decode(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

return function(page, r)
  local k, v = (r.args or ""):match("^([%w_]+)=(.*)$")
  if not k then return end
  v = decode(v)
  if k == "redirect" then return r:redirect(v) end
  if k == "header" then r:set_header(v, "x") end
  if k == "unset" then r:set_header(v, nil) end
  if k == "status" then return tonumber(v) end
  if k == "redir_then" then
    r:redirect("/en/", 301)
    return tonumber(v)
  end
  if k == "lang_redirect" then
    if (r:header("Accept-Language") or ""):find("fa", 1, true) then
      return r:redirect("/fa/")
    end
    return r:redirect("/en/")
  end
  if k == "cookie_status" then
    if r:cookie("edition") == "closed" then return tonumber(v) end
  end
  if k == "cookie_redirect" then
    r:set_header("Set-Cookie", "lang=fa; Path=/")
    return r:redirect("/fa/")
  end
  if k == "retry" then
    r:set_header("Retry-After", "120")
    return tonumber(v)
  end
  if k == "header_404" then
    if r:header("X-Variant") == "gone" then return 404 end
  end
  page.site.tagline = "reqsafe"
end

-- r:redirect accepts relative URLs and refuses other hosts.
return function(page, r)
  if r.args == "to=local" then return r:redirect("/en/", 301) end
  if r.args == "to=evil" then return r:redirect("https://evil.example/") end
  if r.args == "to=site" then return r:redirect("https://www.afgazad.com/fa/") end
  if r.args == "to=userinfo" then
    return r:redirect("https://www.afgazad.com@evil.example/")
  end
  if r.args == "header=crlf" then r:set_header("X-Test", "a\r\nSet-Cookie: x=1") end
  if r.args == "header=ok" then r:set_header("X-Test", "fine") end
  page.site.tagline = "redirect-filter"
end

-- The util module of site a: a module of the same name in the other site's
-- folder must not be served for this one.
return { site = "a" }

-- Found by require only in the virtual host of t/vhost.t, whose
-- ArticlesLuaPath names this folder.
return { here = true }

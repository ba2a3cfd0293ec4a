package dashboard

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/auth"
)

type usersData struct {
	Users    []aggregator.User
	Sites    []aggregator.Site
	Me       string
	Flash    string
	Problems []string
	Form     aggregator.User // the create form, as entered
}

func (d *Dashboard) usersPage(c *fiber.Ctx) error {
	flash := ""
	if k := c.Query("done"); k != "" {
		flash = "users.done_" + k
	}
	return d.showUsers(c, http.StatusOK, flash, nil, aggregator.User{Role: aggregator.RoleViewer})
}

func (d *Dashboard) showUsers(c *fiber.Ctx, status int, flash string, problems []string, form aggregator.User) error {
	users, err := d.users.List(c.UserContext())
	if err != nil {
		return d.fail(c, err)
	}
	sites, err := d.sites.List(c.UserContext())
	if err != nil {
		return d.fail(c, err)
	}
	s, _ := current(c)
	data := usersData{Users: users, Sites: sites, Me: s.user.Email, Flash: flash, Problems: problems, Form: form}
	return d.renderNav(c, status, "users", "users.title", "admin-users", data)
}

// formUser reads role and sites; a viewer's sites must exist.
func (d *Dashboard) formUser(c *fiber.Ctx, u *aggregator.User) []string {
	var problems []string
	u.Role = c.FormValue("role")
	u.Sites = []string{}
	sites, err := d.sites.List(c.UserContext())
	if err != nil {
		return []string{err.Error()}
	}
	known := map[string]bool{}
	for _, s := range sites {
		known[s.Domain] = true
	}
	args := c.Request().PostArgs()
	for _, v := range args.PeekMulti("sites") {
		site := string(v)
		if !known[site] {
			problems = append(problems, "unknown site "+site)
			continue
		}
		if !slices.Contains(u.Sites, site) {
			u.Sites = append(u.Sites, site)
		}
	}
	if u.Role == aggregator.RoleAdmin {
		u.Sites = []string{}
	}
	return problems
}

func (d *Dashboard) createUser(c *fiber.Ctx) error {
	s, _ := current(c)
	u := aggregator.User{Email: strings.ToLower(strings.TrimSpace(c.FormValue("email")))}
	problems := d.formUser(c, &u)
	if _, err := d.users.Get(c.UserContext(), u.Email); err == nil {
		problems = append(problems, d.lang(c).T("users.exists", u.Email))
	} else if !errors.Is(err, aggregator.ErrNotFound) {
		return d.fail(c, err)
	}
	hash, err := auth.HashPassword(c.FormValue("password"))
	if err != nil {
		problems = append(problems, err.Error())
	}
	u.PasswordHash = hash
	if len(problems) == 0 {
		if err := u.Validate(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		u.PasswordHash = ""
		return d.showUsers(c, http.StatusUnprocessableEntity, "", problems, u)
	}
	if err := d.users.Put(c.UserContext(), u); err != nil {
		return d.fail(c, err)
	}
	d.log.Info("admin: user created", "admin", s.user.Email, "user", u.Email, "role", u.Role, "sites", u.Sites)
	return c.Redirect("/dashboard/admin/users?done=created", http.StatusSeeOther)
}

// updateUser changes a user's role, sites and, when given, password. An
// admin cannot demote themself (so there is always one admin who can undo
// a mistake). A new password ends the user's sessions.
func (d *Dashboard) updateUser(c *fiber.Ctx) error {
	s, _ := current(c)
	u, err := d.users.Get(c.UserContext(), c.FormValue("email"))
	if errors.Is(err, aggregator.ErrNotFound) {
		return d.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return d.fail(c, err)
	}
	problems := d.formUser(c, &u)
	if u.Email == s.user.Email && u.Role != aggregator.RoleAdmin {
		problems = append(problems, d.lang(c).T("users.no_self_demote"))
	}
	newPassword := c.FormValue("password") != ""
	if newPassword {
		hash, err := auth.HashPassword(c.FormValue("password"))
		if err != nil {
			problems = append(problems, err.Error())
		}
		u.PasswordHash = hash
	}
	if len(problems) > 0 {
		return d.showUsers(c, http.StatusUnprocessableEntity, "", problems, aggregator.User{Role: aggregator.RoleViewer})
	}
	if err := d.users.Put(c.UserContext(), u); err != nil {
		return d.fail(c, err)
	}
	if newPassword {
		if err := d.sessions.RevokeUser(c.UserContext(), u.Email, d.opts.Now()); err != nil {
			return d.fail(c, err)
		}
	}
	d.cache.Purge()
	d.log.Info("admin: user changed", "admin", s.user.Email, "user", u.Email, "role", u.Role, "sites", u.Sites, "password_changed", newPassword)
	return c.Redirect("/dashboard/admin/users?done=updated", http.StatusSeeOther)
}

func (d *Dashboard) deleteUser(c *fiber.Ctx) error {
	s, _ := current(c)
	email := strings.ToLower(c.FormValue("email"))
	if email == s.user.Email {
		return d.showUsers(c, http.StatusUnprocessableEntity, "", []string{d.lang(c).T("users.no_self_delete")}, aggregator.User{Role: aggregator.RoleViewer})
	}
	err := d.users.Delete(c.UserContext(), email)
	if errors.Is(err, aggregator.ErrNotFound) {
		return d.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return d.fail(c, err)
	}
	if err := d.sessions.RevokeUser(c.UserContext(), email, d.opts.Now()); err != nil {
		return d.fail(c, err)
	}
	d.cache.Purge()
	d.log.Info("admin: user deleted", "admin", s.user.Email, "user", email)
	return c.Redirect("/dashboard/admin/users?done=deleted", http.StatusSeeOther)
}

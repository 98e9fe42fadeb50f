package consult

// TEMPORARY stub until county.go lands; delete me.

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var ExampleCounties = []byte("counties: []")

type County struct {
	ID, Name, Timezone string
	Location           *time.Location
	Admins             []int64
	Townships          []string
	Categories         []Category
}
type Category struct {
	ID, Name, NameEn string
	Keywords         []string
}

func ParseCounties(data []byte, name string) ([]County, error) {
	var f struct {
		Counties []struct {
			ID, Name, Timezone string
			Admins             []int64
			Townships          []string
			Categories         []struct {
				ID, Name string
				NameEn   string `yaml:"name_en"`
				Keywords []string
			}
		}
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	var out []County
	for _, c := range f.Counties {
		loc, _ := time.LoadLocation(c.Timezone)
		cc := County{ID: c.ID, Name: c.Name, Timezone: c.Timezone, Location: loc, Admins: c.Admins, Townships: c.Townships}
		for _, k := range c.Categories {
			cc.Categories = append(cc.Categories, Category{k.ID, k.Name, k.NameEn, k.Keywords})
		}
		out = append(out, cc)
	}
	return out, nil
}
func LoadCounties(path string) ([]County, error) { return nil, nil }
func (c *County) IsAdmin(id int64) bool {
	for _, a := range c.Admins {
		if a == id {
			return true
		}
	}
	return false
}
func (c *County) Category(id string) (*Category, bool) {
	for i := range c.Categories {
		if c.Categories[i].ID == id {
			return &c.Categories[i], true
		}
	}
	return nil, false
}
func (c *County) FindCategory(s string) (*Category, bool) {
	s = strings.TrimSpace(s)
	for i := range c.Categories {
		k := &c.Categories[i]
		if strings.EqualFold(k.ID, s) || k.Name == s || strings.EqualFold(k.NameEn, s) {
			return k, true
		}
	}
	return nil, false
}
func (c *County) HasTownship(n string) bool {
	for _, t := range c.Townships {
		if t == n {
			return true
		}
	}
	return false
}
func (c Category) Label(l string) string {
	if l == "en" {
		return c.NameEn
	}
	return c.Name
}
func (c *County) Categorize(text string) *Category {
	best, score := -1, 0
	for i, k := range c.Categories {
		s := 0
		for _, w := range k.Keywords {
			if strings.Contains(strings.ToLower(text), strings.ToLower(w)) {
				s += len([]rune(w))
			}
		}
		if s > score {
			best, score = i, s
		}
	}
	if best < 0 {
		g, _ := c.Category("general")
		return g
	}
	return &c.Categories[best]
}

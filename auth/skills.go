package auth

import "slices"

// SkillGroups returns the service categories an agent can be skilled in. They
// are the catalog's category ids; the queue matches an item's category against
// an agent's skills. Each call returns a fresh slice the caller may keep.
func SkillGroups() []string {
	return []string{
		"medical_insurance", // 医保
		"social_security",   // 社保
		"long_term_care",    // 长护险
		"civil_affairs",     // 民政
		"disability",        // 残联
		"health_birth",      // 卫健/生育
		"employment",        // 就业创业
		"elderly",           // 老年卡/养老
		"housing",           // 住房/公积金
		"residence",         // 居住证/户籍
		"veterans",          // 退役军人
		"general",           // 综合
	}
}

// ValidSkill reports whether g is one of SkillGroups.
func ValidSkill(g string) bool { return slices.Contains(SkillGroups(), g) }

// validateSkills checks an agent's skills: known groups, no repeats, and at
// least one skill unless the agent is a generalist (who could otherwise never
// be offered a call).
func validateSkills(skills []string, generalist bool) error {
	for i, g := range skills {
		if !ValidSkill(g) {
			return invalid("skills", "unknown skill group %q (known: %v)", g, SkillGroups())
		}
		if slices.Contains(skills[:i], g) {
			return invalid("skills", "skill group %q listed twice", g)
		}
	}
	if len(skills) == 0 && !generalist {
		return invalid("skills", "an agent needs at least one skill group or the generalist flag")
	}
	return nil
}

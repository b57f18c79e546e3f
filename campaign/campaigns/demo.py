"""The demo campaigns seeded into an empty database by `campaign seed-demo`."""

# The translations are Armenian and Russian text, whose letters and marks resemble Latin ones.
# ruff: noqa: RUF001

from __future__ import annotations

from sqlalchemy import func, select

from campaign.accounts import logos
from campaign.accounts.models import Organization
from campaign.builder import images
from campaign.campaigns.demo_images import CAMPAIGN_PICTURES, emblem
from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus, CampaignTranslation
from campaign.extensions import db
from campaign.targets.demo import seed_letters

# The organization the demo campaigns show as theirs (with its logo): fictional, without members.
DEMO_ORGANIZATION = {"name": "Diaspora Advocacy Network (demo)", "slug": "demo-diaspora-advocacy-network"}

RECOGNIZE_ARTSAKH = """\
In the autumn of 2020, during the war over Nagorno-Karabakh, towns and villages
of the Republic of Artsakh came under shelling, and civilians were killed and
displaced. Artsakh's Human Rights Defender documented attacks on civilians and
civilian infrastructure and called on the international community to recognize
them. Its National Assembly called on the parliaments and governments of the
world to recognize the independence of the Republic of Artsakh, as the way to
guarantee the security and the rights of the people who live there.

## We ask our governments and parliaments

1. To recognize the Republic of Artsakh, so that its people are protected by
   the law of nations and not left at the mercy of force.
2. To condemn attacks on civilians and civilian infrastructure, whoever
   commits them, and to support an independent investigation.
3. To support humanitarian access, the return of prisoners and the protection
   of cultural and religious heritage.

Your signature is counted once, after you confirm it by email. Your name and
address are never shown on this site.
"""

SUSPEND_ARMS_EXPORTS = """\
In October 2020, reports that drone sighting and targeting systems made under
export permits had been used in the Nagorno-Karabakh war led one government to
suspend the relevant export permits while it investigated. Civilians on both
sides of the line of contact were killed and wounded during that war.

Write to the ministers responsible for arms-export licensing and ask them:

- to suspend export permits for military goods that may be used against
  civilians in the conflict, while their use is independently investigated;
- to publish the findings of that investigation;
- to apply their own export law and the Arms Trade Treaty, which forbid
  exports where there is a substantial risk of serious violations of
  international humanitarian law.

The officials listed for this demonstration are fictional and their addresses
are at example.org: no real person receives these letters.
"""

# The petition in the supporters' other languages (Armenian in Eastern Armenian orthography).
RECOGNIZE_ARTSAKH_HY = """\
2020 թվականի աշնանը, Լեռնային Ղարաբաղում պատերազմի օրերին, Արցախի Հանրապետության
քաղաքներն ու գյուղերը հրետակոծվեցին, խաղաղ բնակիչներ զոհվեցին ու տեղահանվեցին։
Արցախի Մարդու իրավունքների պաշտպանը փաստագրեց խաղաղ բնակիչների և քաղաքացիական
ենթակառուցվածքների դեմ հարձակումները և կոչ արեց միջազգային հանրությանը ճանաչել դրանք։
Արցախի Ազգային ժողովը կոչ արեց աշխարհի խորհրդարաններին և կառավարություններին
ճանաչել Արցախի Հանրապետության անկախությունը՝ որպես այնտեղ ապրող ժողովրդի
անվտանգության և իրավունքների երաշխիք։

## Մենք խնդրում ենք մեր կառավարություններին և խորհրդարաններին

1. Ճանաչել Արցախի Հանրապետությունը, որպեսզի նրա ժողովուրդը պաշտպանված լինի
   միջազգային իրավունքով և չթողնվի ուժի ողորմածությանը։
2. Դատապարտել խաղաղ բնակիչների և քաղաքացիական ենթակառուցվածքների դեմ
   հարձակումները, ով էլ որ դրանք կատարի, և աջակցել անկախ հետաքննությանը։
3. Աջակցել մարդասիրական օգնության մուտքին, գերիների վերադարձին և մշակութային ու
   կրոնական ժառանգության պահպանությանը։

Ձեր ստորագրությունը կհաշվվի մեկ անգամ՝ էլեկտրոնային փոստով այն հաստատելուց հետո։
Ձեր անունն ու հասցեն երբեք չեն ցուցադրվում այս կայքում։
"""

RECOGNIZE_ARTSAKH_FR = """\
À l'automne 2020, pendant la guerre du Haut-Karabakh, des villes et des villages de
la République d'Artsakh ont été bombardés ; des civils ont été tués et déplacés.
Le Défenseur des droits de l'homme de l'Artsakh a documenté les attaques contre les
civils et les infrastructures civiles, et a appelé la communauté internationale à
les reconnaître. L'Assemblée nationale de l'Artsakh a appelé les parlements et les
gouvernements du monde à reconnaître l'indépendance de la République d'Artsakh,
comme moyen de garantir la sécurité et les droits de la population qui y vit.

## Nous demandons à nos gouvernements et à nos parlements

1. De reconnaître la République d'Artsakh, afin que sa population soit protégée par
   le droit des gens et non livrée à la loi du plus fort.
2. De condamner les attaques contre les civils et les infrastructures civiles, quels
   qu'en soient les auteurs, et de soutenir une enquête indépendante.
3. De soutenir l'accès humanitaire, le retour des prisonniers et la protection du
   patrimoine culturel et religieux.

Votre signature n'est comptée qu'une fois, après que vous l'avez confirmée par
e-mail. Votre nom et votre adresse ne sont jamais affichés sur ce site.
"""

RECOGNIZE_ARTSAKH_RU = """\
Осенью 2020 года, во время войны в Нагорном Карабахе, города и сёла Республики Арцах
подвергались обстрелам, мирные жители гибли и были вынуждены покинуть свои дома.
Защитник прав человека Арцаха задокументировал нападения на мирных жителей и
гражданскую инфраструктуру и призвал международное сообщество признать их.
Национальное собрание Арцаха призвало парламенты и правительства мира признать
независимость Республики Арцах как путь к тому, чтобы гарантировать безопасность и
права живущих там людей.

## Мы просим наши правительства и парламенты

1. Признать Республику Арцах, чтобы её народ был защищён международным правом,
   а не оставлен на милость силы.
2. Осудить нападения на мирных жителей и гражданскую инфраструктуру, кто бы их ни
   совершал, и поддержать независимое расследование.
3. Поддержать гуманитарный доступ, возвращение пленных и защиту культурного и
   религиозного наследия.

Ваша подпись засчитывается один раз, после того как вы подтвердите её по
электронной почте. Ваше имя и адрес никогда не публикуются на этом сайте.
"""

# slug -> language -> the campaign's words in that language.
DEMO_TRANSLATIONS: dict[str, dict[str, dict[str, str]]] = {
    "recognize-artsakh": {
        "hy": {
            "title": "Ճանաչե՛ք Արցախի Հանրապետությունը՝ պաշտպանելու նրա խաղաղ բնակիչներին",
            "summary": (
                "Արցախի Ազգային ժողովը կոչ արեց աշխարհի խորհրդարաններին ճանաչել Հանրապետությունը։ "
                "Ավելացրե՛ք ձեր անունը, որպեսզի մեր խորհրդարանն էլ դա անի և դատապարտի խաղաղ "
                "բնակիչների դեմ հարձակումները։"
            ),
            "body_markdown": RECOGNIZE_ARTSAKH_HY,
            "decision_maker": "Մեր ազգային խորհրդարաններն ու կառավարությունները",
        },
        "fr": {
            "title": "Reconnaître la République d'Artsakh pour protéger sa population civile",
            "summary": (
                "L'Assemblée nationale de l'Artsakh a demandé aux parlements du monde de reconnaître "
                "la République. Signez pour demander au nôtre de le faire, et de condamner les "
                "attaques contre les civils."
            ),
            "body_markdown": RECOGNIZE_ARTSAKH_FR,
            "decision_maker": "Nos parlements et gouvernements nationaux",
        },
        "ru": {
            "title": "Признайте Республику Арцах, чтобы защитить её мирных жителей",
            "summary": (
                "Национальное собрание Арцаха призвало парламенты мира признать Республику. "
                "Подпишите петицию, чтобы наш парламент сделал это и осудил нападения на мирных жителей."
            ),
            "body_markdown": RECOGNIZE_ARTSAKH_RU,
            "decision_maker": "Наши национальные парламенты и правительства",
        },
    },
}

DEMO_CAMPAIGNS = [
    {
        "slug": "recognize-artsakh",
        "kind": CampaignKind.PETITION,
        "title": "Recognize the Republic of Artsakh to protect its civilians",
        "summary": (
            "Artsakh's National Assembly asked the world's parliaments to recognize the "
            "Republic. Add your name to ask ours to do so, and to condemn attacks on civilians."
        ),
        "body_markdown": RECOGNIZE_ARTSAKH,
        "goal": 10_000,
        "decision_maker": "Our national parliaments and governments",
    },
    {
        "slug": "suspend-arms-exports",
        "kind": CampaignKind.LETTER,
        "title": "Suspend arms-export permits while their use against civilians is investigated",
        "summary": (
            "Write to the ministers who license arms exports: suspend the permits while their "
            "use against civilians is investigated."
        ),
        "body_markdown": SUSPEND_ARMS_EXPORTS,
        "goal": 5_000,
    },
]


def seed_demo() -> int:
    """Add the demo campaigns if the database has no campaign yet; return how many were added."""
    if db.session.execute(select(func.count(Campaign.id))).scalar_one():
        return 0
    organization = _demo_organization()
    for values in DEMO_CAMPAIGNS:
        campaign = Campaign(
            status=CampaignStatus.OPEN, language="en", organization_id=organization.id, **values
        )
        _draw_picture(campaign)
        db.session.add(campaign)
        db.session.flush()
        for language, words in DEMO_TRANSLATIONS.get(campaign.slug, {}).items():
            db.session.add(CampaignTranslation(campaign_id=campaign.id, language=language, **words))
    db.session.flush()
    seed_letters()
    db.session.commit()
    return len(DEMO_CAMPAIGNS)


def _demo_organization() -> Organization:
    """The demo campaigns' organization, with a logo drawn for it."""
    logo = emblem()
    organization = Organization(
        **DEMO_ORGANIZATION,
        logo_name=images.store(logo, logos.folder()),
        logo_width=logo.width,
        logo_height=logo.height,
    )
    db.session.add(organization)
    db.session.flush()
    return organization


def _draw_picture(campaign: Campaign) -> None:
    """Give a demo campaign its picture, drawn for it, and say what the picture shows."""
    picture = CAMPAIGN_PICTURES.get(campaign.slug)
    if picture is None:
        return
    draw, alt = picture
    drawn = draw()
    campaign.image_name = images.store(drawn)
    campaign.image_width, campaign.image_height = drawn.width, drawn.height
    campaign.image_alt = alt
